import { isNamingError } from "../index.js";
import { oneLine } from "./cli-error.js";
import { truncate, visible } from "./render/terminal-text.js";

/** The longest error line: a reason may quote a value from the store. */
const MAX_LINE = 400;

/**
 * One line about an error the library reported, labelled by its cause: a value that does not
 * decode is skipped (the store answered), a backend fault is retried (the store did not), and
 * anything else says what it is. `explain` turns a backend fault into what to check.
 */
export const errorLine = (error: unknown, explain: (e: unknown) => string): string => {
  // The label first: a line cut to a terminal's width still says what is being done about it.
  const line = (text: string, label = ""): string => truncate(visible(`${label}${text}`), MAX_LINE);
  if (!isNamingError(error)) return line(explain(error));
  if (error._tag === "Decode") return line(oneLine(error), "skipped: ");
  if (error._tag === "Backend") return line(explain(error), error.recoverable ? "retrying: " : "");
  return line(oneLine(error));
};

/**
 * Rate-limits the error lines of a running command: at most one a second, the same line at most
 * once in 30 s; the lines held back are counted in the next one shown. Why: a thousand bad keys, or
 * a backend retried ten times a second, must not flood a terminal or a log.
 */
export class ErrorLines {
  private lastAt = -Infinity;
  private held = 0;
  private readonly shownAt = new Map<string, number>();

  constructor(
    private readonly explain: (e: unknown) => string,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 1_000,
    private readonly repeatMs = 30_000,
  ) {}

  /** The line to print for this error now, or undefined when it is held back. */
  next(error: unknown): string | undefined {
    const line = errorLine(error, this.explain);
    const t = this.now();
    if ((this.shownAt.get(line) ?? -Infinity) > t - this.repeatMs) return undefined;
    if (t - this.lastAt < this.everyMs) {
      this.held++;
      return undefined;
    }
    if (this.shownAt.size >= 1_000) {
      for (const [l, at] of this.shownAt) if (at <= t - this.repeatMs) this.shownAt.delete(l);
    }
    this.shownAt.set(line, t);
    this.lastAt = t;
    const more = this.held;
    this.held = 0;
    return more === 0 ? line : `${line} (and ${more} more error${more === 1 ? "" : "s"})`;
  }

  /** After a recovery: the same errors are news again. */
  reset(): void {
    this.shownAt.clear();
  }
}
