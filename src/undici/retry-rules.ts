import type { Dispatcher } from "undici";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/**
 * Whether a request may be sent again after its connection failed: its method is idempotent (or
 * the caller marked it so), and its body can be sent twice (none, a string or bytes; never a
 * stream, which the first attempt may have consumed in part).
 */
export const mayRetry = (options: Dispatcher.DispatchOptions): boolean =>
  (IDEMPOTENT.has(options.method.toUpperCase()) || options.idempotent === true) && replayable(options.body);

const replayable = (body: Dispatcher.DispatchOptions["body"]): boolean =>
  body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;

// Connection failures: the request cannot have reached the application.
const CONNECTION_FAILURES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET", // the other side closed the connection
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED", // the instance's pool closed as the instance left
  "UND_ERR_DESTROYED",
]);

/** Whether `error` says that the connection failed (refused, reset, closed) rather than the request. */
export const isConnectionFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONNECTION_FAILURES.has(code);
};
