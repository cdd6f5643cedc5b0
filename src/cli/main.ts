#!/usr/bin/env node
// The `rxnaming` command. Its commands (watch, list, register, demo; SPEC.md "Command line") are
// not built yet: this entry point is reserved so that the package's `bin` stays stable.
process.stderr.write(
  "rxnaming: the command line is not available in this version yet (see SPEC.md, Command line)\n",
);
process.exitCode = 2;
