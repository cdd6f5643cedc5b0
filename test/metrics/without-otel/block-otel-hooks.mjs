// Module resolution hooks (see block-otel.mjs): "@opentelemetry/api" cannot be found.
export async function resolve(specifier, context, next) {
  if (specifier === "@opentelemetry/api" || specifier.startsWith("@opentelemetry/api/")) {
    const error = new Error(`Cannot find package '${specifier}' (blocked by the test)`);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}
