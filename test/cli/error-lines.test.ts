import { describe, expect, it } from "vitest";
import { backendError, decodeError } from "../../src/model/index.js";
import { errorLine, ErrorLines } from "../../src/cli/error-lines.js";

// How the library's errors read on stderr, and how many of them get there.
const explain = (e: unknown): string =>
  `cannot reach etcd at http://127.0.0.1:2379 (${(e as Error).message})`;

describe("errorLine", () => {
  it("labels a value that does not decode as skipped, a backend fault as retried, and shows no control character", () => {
    expect(errorLine(decodeError("/kratos_etcd/a/h\u001b[2J", "malformed JSON"), explain)).toBe(
      "skipped: cannot decode /kratos_etcd/a/h\\u001b[2J: malformed JSON",
    );
    expect(errorLine(backendError("watch", new Error("ECONNRESET")), explain)).toMatch(
      /^retrying: cannot reach etcd at /,
    );
    expect(errorLine(backendError("put", new Error("denied"), { recoverable: false }), explain)).toMatch(
      /^cannot reach etcd/,
    );
  });
});

describe("ErrorLines", () => {
  it("shows at most one line a second, counts the ones held back, and repeats a line only after 30 s", () => {
    let now = 0;
    const lines = new ErrorLines(explain, () => now);
    const fault = (n: number): unknown => backendError("watch", new Error(`fault ${n}`));
    expect(lines.next(fault(1))).toMatch(/fault 1/);
    expect(lines.next(fault(2))).toBeUndefined();
    expect(lines.next(fault(3))).toBeUndefined();
    now = 1_000;
    expect(lines.next(fault(4))).toMatch(/fault 4\)? \(and 2 more errors\)$/);
    now = 2_000;
    expect(lines.next(fault(1))).toBeUndefined(); // shown 2 s ago
    now = 31_000;
    expect(lines.next(fault(1))).toMatch(/fault 1/);
    now = 32_000;
    lines.reset();
    expect(lines.next(fault(1))).toMatch(/fault 1/); // news again after a recovery
  });
});
