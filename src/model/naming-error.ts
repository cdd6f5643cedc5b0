/** What kind of failure a {@link NamingError} is. */
export type NamingErrorTag =
  "InvalidInstance" | "InvalidOption" | "Duplicate" | "Decode" | "Backend" | "Closed";

/** What a {@link NamingError} carries besides its tag and message. */
export interface NamingErrorDetails {
  /** The backend key the error is about, when there is one. */
  readonly key?: string | undefined;
  /** The instance field the error is about, when there is one. */
  readonly field?: string | undefined;
  /** Whether retrying can cure it. Defaults to `true` for `Backend`, `false` otherwise. */
  readonly recoverable?: boolean | undefined;
  /** The underlying error, kept for logs. */
  readonly cause?: unknown;
}

/**
 * The one error type of rxnaming. Every failure that crosses a public edge is a `NamingError`
 * with a `_tag` saying what kind it is, a message that names the field or key at fault, and a
 * `recoverable` flag: `true` when retrying can cure it (a backend that is down), `false` when
 * it cannot (an invalid instance, a duplicate registration).
 *
 * It extends `Error` so that loggers print a stack, and carries `isNamingError` so that
 * {@link isNamingError} works across two copies of the package (as cockatiel's guards do).
 */
export class NamingError extends Error {
  /** Always true: how {@link isNamingError} recognises one from another copy of the package. */
  readonly isNamingError = true as const;
  /** The backend key the error is about, when there is one. */
  readonly key: string | undefined;
  /** The instance field (or option) the error is about, when there is one. */
  readonly field: string | undefined;
  /** Whether retrying can cure it: `true` for a backend that is down, `false` for bad input. */
  readonly recoverable: boolean;

  constructor(
    /** What kind of failure it is. */
    readonly _tag: NamingErrorTag,
    message: string,
    details: NamingErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = `NamingError(${_tag})`;
    this.key = details.key;
    this.field = details.field;
    this.recoverable = details.recoverable ?? _tag === "Backend";
  }
}

/** True for a {@link NamingError}, also one made by another copy of this package. */
export const isNamingError = (e: unknown): e is NamingError =>
  typeof e === "object" && e !== null && (e as { isNamingError?: unknown }).isNamingError === true;

/** The instance is not valid; the message names the field. */
export const invalidInstance = (field: string, reason: string, key?: string): NamingError =>
  new NamingError("InvalidInstance", `invalid instance: ${field} ${reason}`, { field, key });

/** An option given to a constructor or operator is wrong; the message names it. */
export const invalidOption = (option: string, reason: string): NamingError =>
  new NamingError("InvalidOption", `invalid option: ${option} ${reason}`, { field: option });

/** The same appId + hostname is already registered by this Naming. */
export const duplicate = (key: string): NamingError =>
  new NamingError("Duplicate", `duplicate registration: ${key} is already registered by this naming`, {
    key,
  });

/** A value or key in the backend could not be decoded as an instance. */
export const decodeError = (key: string, reason: string, field?: string): NamingError =>
  new NamingError("Decode", `cannot decode ${shortKey(key)}: ${reason}`, { key, field });

// A key may be as long as a value (1.5 MiB on etcd): the message shows its start, `key` all of it.
const shortKey = (key: string): string =>
  key.length <= 200 ? key : `${key.slice(0, 200)}... (${key.length} characters)`;

/** The backend failed; `recoverable` says whether retrying can help. */
export const backendError = (
  operation: string,
  cause: unknown,
  details: { key?: string; recoverable?: boolean } = {},
): NamingError =>
  new NamingError("Backend", `backend ${operation} failed: ${describe(cause)}`, { ...details, cause });

/** The Naming or Resolver was closed. */
export const closedError = (what: string): NamingError => new NamingError("Closed", `${what} is closed`);

/** Turns anything thrown into a NamingError, keeping one that already is. */
export const toNamingError =
  (operation: string, details: { key?: string; recoverable?: boolean } = {}) =>
  (cause: unknown): NamingError =>
    isNamingError(cause) ? cause : backendError(operation, cause, details);

const describe = (cause: unknown): string => {
  if (cause instanceof Error) {
    return cause.message === "" ? cause.name : `${cause.name}: ${cause.message}`;
  }
  return String(cause);
};
