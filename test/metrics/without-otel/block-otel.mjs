// Preloaded with --import: makes "@opentelemetry/api" unresolvable, as when it is not installed,
// for `import` (the hooks of block-otel-hooks.mjs) and for `require` (the CommonJS resolver).
import Module, { register } from "node:module";

register("./block-otel-hooks.mjs", import.meta.url);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@opentelemetry/api" || request.startsWith("@opentelemetry/api/")) {
    const error = new Error(`Cannot find module '${request}' (blocked by the test)`);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};
