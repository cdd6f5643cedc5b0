import { backendError, type NamingError } from "../../model/index.js";
import { parseLossless } from "./lossless-json.js";

/** One answer of a node: the envelope every endpoint wraps its result in. */
export interface Answer {
  /** The node that gave it, `host:port`. */
  readonly node: string;
  /** bilibili's ecode: 0 ok, -304 not modified, -400, -404, -409, -500, ... */
  readonly code: number;
  readonly message: string;
  readonly data: unknown;
  /** `polls` only: `{"-404": [appids the server does not know] | null}`. */
  readonly error: unknown;
}

/** One request to one node. */
export interface Call {
  readonly method: "GET" | "POST";
  /** The endpoint under `/discovery/`: "register", "polls", ... */
  readonly path: string;
  /** Form fields or query parameters; a list repeats its key, as the server reads lists. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  /** The whole call, connect to last byte, must end within this. */
  readonly deadlineMs: number;
  /** For `polls`: how long the server may hold the request (its `x1-bmspy-timeout` header). */
  readonly holdMs?: number;
  /** Aborts the call (a poll restarted, the naming closed). */
  readonly signal?: AbortSignal;
}

/** The largest body read from a node: more is a fault of that node, not memory to spend. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const fault = (call: Call, node: string, reason: string, cause?: unknown): NamingError =>
  backendError(`${call.path} on ${node}`, new Error(reason, cause === undefined ? undefined : { cause }), {
    recoverable: true,
  });

const excerpt = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > 120 ? `${flat.slice(0, 120)}...` : flat);
};

/**
 * Sends one request to one node and reads its envelope. Never hangs: the deadline covers the whole
 * call (the body included), and a body over {@link MAX_BODY_BYTES} is cut off. Anything that is not
 * the server's envelope (a refused connection, an HTTP error page, HTML, text that is not JSON, a
 * JSON value without a numeric `code`) is a recoverable `Backend` error that names the node, the
 * endpoint and what came. An abort through `call.signal` rejects with that signal's reason.
 */
export const callNode = async (node: string, call: Call): Promise<Answer> => {
  const deadline = AbortSignal.timeout(call.deadlineMs);
  const signal = call.signal === undefined ? deadline : AbortSignal.any([deadline, call.signal]);
  const query = new URLSearchParams(call.params as [string, string][]).toString();
  const url = `http://${node}/discovery/${call.path}`;
  const headers: Record<string, string> = { accept: "application/json" };
  if (call.holdMs !== undefined) headers["x1-bmspy-timeout"] = String(call.holdMs);
  if (call.method === "POST") headers["content-type"] = "application/x-www-form-urlencoded";
  let text: string;
  let status: number;
  let type: string;
  try {
    const response = await fetch(call.method === "GET" ? `${url}?${query}` : url, {
      method: call.method,
      headers,
      signal,
      ...(call.method === "POST" && { body: query }),
    });
    status = response.status;
    type = response.headers.get("content-type") ?? "";
    text = await readCapped(response, call, node);
  } catch (e) {
    if (call.signal?.aborted === true) throw call.signal.reason;
    if (deadline.aborted) throw fault(call, node, `no answer within ${call.deadlineMs} ms`);
    if ((e as { isNamingError?: boolean }).isNamingError === true) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw fault(call, node, `cannot reach it (${why})`, e);
  }
  if (status !== 200) {
    const what = /html/i.test(type) || /^\s*</.test(text) ? "an HTML page" : "a body";
    throw fault(call, node, `answered HTTP ${status} with ${what}: ${excerpt(text)}`);
  }
  let json: unknown;
  try {
    json = parseLossless(text);
  } catch {
    const what = /html/i.test(type) || /^\s*</.test(text) ? "an HTML page" : "a body that is not JSON";
    throw fault(call, node, `answered with ${what}: ${excerpt(text)}`);
  }
  if (typeof json !== "object" || json === null || typeof (json as { code?: unknown }).code !== "number") {
    throw fault(call, node, `answered JSON without a numeric "code": ${excerpt(text)}`);
  }
  const envelope = json as { code: number; message?: unknown; data?: unknown; error?: unknown };
  return {
    node,
    code: envelope.code,
    message: typeof envelope.message === "string" ? envelope.message : "",
    data: envelope.data,
    error: envelope.error,
  };
};

const readCapped = async (response: Response, call: Call, node: string): Promise<string> => {
  const tooBig = () => fault(call, node, `answered with a body over ${MAX_BODY_BYTES} bytes`);
  if (Number(response.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw tooBig();
  }
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooBig();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString("utf8");
};
