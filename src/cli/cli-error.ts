/**
 * What the command line says when it stops short: one line for the user, and the exit status.
 * Why a type of its own: every failure of a command (a bad argument, an unreachable etcd, a
 * denied access) ends the same way, as one line on stderr without a stack trace.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** 2 for bad arguments (as shells and commander do), 1 for everything else. */
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A bad argument: the message says which and what is expected. */
export const usageError = (message: string): CliError => new CliError(message, 2);

/** True for a {@link CliError}. */
export const isCliError = (e: unknown): e is CliError => e instanceof CliError;

/** The innermost cause of an error (a NamingError keeps the etcd error as its cause). */
export const rootCause = (e: unknown): unknown => {
  let current = e;
  for (let i = 0; i < 10 && current instanceof Error && current.cause !== undefined; i++) {
    current = current.cause;
  }
  return current;
};

/** An error's message on one line, whatever was thrown. */
export const oneLine = (e: unknown): string =>
  (e instanceof Error ? e.message || e.name : String(e)).replace(/\s+/g, " ").trim();
