#!/usr/bin/env node
// The `rxnaming` command (SPEC.md, "Command line"): demo, watch, list, register.
import { run } from "./program.js";

// grpc-js sets the TLS server name to the endpoint's host, and Node warns (DEP0123) when that host
// is an IP address (https://127.0.0.1:2379, ETCD3-NOTES): harmless, and it would break the promise
// of one line on stderr. Other warnings are printed as Node prints them.
process.removeAllListeners("warning");
process.on("warning", (warning: Error & { code?: string }) => {
  if (warning.code !== "DEP0123") process.stderr.write(`(node) ${warning.name}: ${warning.message}\n`);
});

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; if a library still holds a handle, do not hang the shell on it.
setTimeout(() => process.exit(code), 2_000).unref();
