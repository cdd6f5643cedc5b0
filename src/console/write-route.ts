import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { instance as checkedInstance, type Instance } from "../index.js";
import type { Fleet, InstanceEdit } from "./fleet.js";

/** The answer of a write request: an HTTP status and a message for the page. */
export interface WriteAnswer {
  readonly status: number;
  readonly message: string;
}

const MAX_BODY = 4_096;

const readBody = (req: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve) => {
    let body: string | undefined = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      if (body === undefined) return; // too large: the rest is read and dropped, so the answer arrives
      body += chunk;
      if (body.length > MAX_BODY) body = undefined;
    });
    req.on("end", () => resolve(body));
    req.on("error", () => resolve(undefined));
  });

/** True when the request carries `Authorization: Bearer <token>` with exactly this token. */
export const hasToken = (req: IncomingMessage, token: string): boolean => {
  const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
};

interface WriteRequest {
  readonly appId: string;
  readonly hostname: string;
  readonly edit: InstanceEdit;
}

const parseWrite = (body: string): WriteRequest | string => {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return "the body is not JSON";
  }
  if (typeof value !== "object" || value === null) return "the body is not an object";
  const { appId, hostname, weight, status } = value as Record<string, unknown>;
  if (typeof appId !== "string" || typeof hostname !== "string") return "appId and hostname are required";
  if (weight !== undefined && !(typeof weight === "string" && /^\d{1,9}$/.test(weight))) {
    return "weight must be a whole number of at most 9 digits, as a string";
  }
  if (
    status !== undefined &&
    !(Number.isInteger(status) && (status as number) >= 0 && (status as number) <= 255)
  ) {
    return "status must be a whole number from 0 to 255";
  }
  if (weight === undefined && status === undefined) return "nothing to change: give weight or status";
  return {
    appId,
    hostname,
    edit: {
      ...(weight !== undefined && { weight }),
      ...(status !== undefined && { status: status as number }),
    },
  };
};

/** The instance with the edit applied; validated as any instance is. */
export const applyEdit = (current: Instance, edit: InstanceEdit): Instance => {
  const next = checkedInstance({
    ...current,
    ...(edit.status !== undefined && { status: edit.status }),
    metadata: { ...current.metadata, ...(edit.weight !== undefined && { weight: edit.weight }) },
  });
  if (next._tag === "Left") throw next.left;
  return next.right;
};

/**
 * A write: refused without writes allowed (403) or without the token (401), before the body is
 * even read; then checked, then handed to the fleet, which rewrites the key in place.
 */
export const answerWrite = async (
  req: IncomingMessage,
  writes: { readonly token: string } | undefined,
  fleet: Fleet | undefined,
): Promise<WriteAnswer> => {
  if (writes === undefined)
    return { status: 403, message: "writes are off: start the console with --allow-writes" };
  if (!hasToken(req, writes.token))
    return { status: 401, message: "a write needs the token printed at start" };
  if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) {
    return { status: 415, message: "send JSON (application/json)" };
  }
  const body = await readBody(req);
  if (body === undefined) return { status: 413, message: "the body is too large" };
  const parsed = parseWrite(body);
  if (typeof parsed === "string") return { status: 400, message: parsed };
  if (fleet?.write === undefined)
    return { status: 501, message: "this backend offers no writes to the console" };
  try {
    await fleet.write(parsed.appId, parsed.hostname, (current) => applyEdit(current, parsed.edit));
    return { status: 200, message: `${parsed.appId}/${parsed.hostname} rewritten` };
  } catch (e) {
    return { status: 409, message: e instanceof Error ? e.message : String(e) };
  }
};
