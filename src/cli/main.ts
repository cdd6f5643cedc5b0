#!/usr/bin/env node
// The `rxnaming` command (SPEC.md, "Command line"): demo, watch, list, register.
import { run } from "./program.js";

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; if a library still holds a handle, do not hang the shell on it.
setTimeout(() => process.exit(code), 2_000).unref();
