#!/usr/bin/env node
// The `rxnaming` command: demo, watch, list, register (docs/cli.md).
import { run } from "./program.js";
import { stopOnClosedOutput } from "./signals.js";

// grpc-js sets the TLS server name to the endpoint's host, and Node warns (DEP0123) when that host
// is an IP address (https://127.0.0.1:2379): harmless, and it would break the promise
// of one line on stderr. Other warnings are printed as Node prints them.
process.removeAllListeners("warning");
process.on("warning", (warning: Error & { code?: string }) => {
  if (warning.code !== "DEP0123") process.stderr.write(`(node) ${warning.name}: ${warning.message}\n`);
});

stopOnClosedOutput();
const code = await run(process.argv.slice(2));
process.exitCode = code;
if (code !== 0) {
  // A failure is said: end now, once stdout and stderr have taken what was written (a half-open
  // connection to an etcd that never answered would otherwise hold the process for a while).
  let pending = 2;
  const flushed = (): void => void (--pending === 0 && process.exit(code));
  process.stdout.write("", flushed);
  process.stderr.write("", flushed);
}
// Everything is closed by now; if a library still holds a handle, do not hang the shell on it.
setTimeout(() => process.exit(code), 2_000).unref();
