import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/cli/connection-options.js";
import { readPem } from "../../src/cli/pem-file.js";
import { table } from "../../src/cli/render/table.js";
import { clip } from "../../src/cli/render/terminal.js";
import { cellText, jsonLine, truncate, visible } from "../../src/cli/render/terminal-text.js";

// What the command line does with strings that come from the store before a terminal sees them.
describe("visible", () => {
  it("shows C0, DEL, C1 and BiDi formatting characters as \\u escapes, and nothing else", () => {
    expect(visible("a\u001b]0;pwned\u0007b")).toBe("a\\u001b]0;pwned\\u0007b");
    expect(visible("row\r\nforged")).toBe("row\\u000d\\u000aforged");
    expect(visible("x\u007fy\u0085z\u009b")).toBe("x\\u007fy\\u0085z\\u009b");
    expect(visible("evil\u202egnp.exe\u2066\u2069")).toBe("evil\\u202egnp.exe\\u2066\\u2069");
    expect(visible("sh001 zoné 東京 █")).toBe("sh001 zoné 東京 █");
  });
});

describe("truncate and cellText", () => {
  it("cut to a width in characters with an ellipsis, and never read past what they keep", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abcd", 4)).toBe("abcd");
    expect(truncate("😀😀😀", 2)).toBe("😀…");
    const huge = "x".repeat(1_400_000);
    expect(cellText(huge, 40)).toHaveLength(40);
    expect(cellText(huge, 40).endsWith("…")).toBe(true);
    expect(cellText("\u001b".repeat(100), 10)).toBe("\\u001b\\u0…");
  });
});

describe("jsonLine", () => {
  it("escapes what JSON.stringify leaves raw (C1, DEL, BiDi, line separators) and stays JSON", () => {
    const value = { zone: "a\u202eb\u0085c\u009bd\u007fe\u2028f\u001bg" };
    const line = jsonLine(value);
    expect(line).toBe('{"zone":"a\\u202eb\\u0085c\\u009bd\\u007fe\\u2028f\\u001bg"}');
    expect(JSON.parse(line)).toEqual(value);
  });
});

describe("table", () => {
  it("fits a table to a width by cutting its widest cells with an ellipsis", () => {
    const lines = table(["A", "B"], [["short", "y".repeat(1000)]], [], { maxWidth: 30 });
    expect(lines.every((l) => [...l].length <= 30)).toBe(true);
    expect(lines[1]).toMatch(/^short {2}y+…$/);
  });

  it("keeps a column at its minimum width whatever its cells", () => {
    const lines = table(["STATE", "NEXT"], [["up", "x"]], [], { minWidths: [14] });
    expect(lines[0]!.indexOf("NEXT")).toBe(16);
  });
});

describe("clip", () => {
  it("says it cut a line with an ellipsis", () => {
    expect(clip("abcdef", 4)).toBe("abc…");
    expect(clip("\u001b[1mbold\u001b[22m and more", 6)).toBe("\u001b[1mbold\u001b[22m …\u001b[0m");
  });
});

describe("parseDuration", () => {
  it("reads Go's durations (ETCDCTL_DIAL_TIMEOUT) and refuses absurd ones", () => {
    expect([parseDuration("1m30s"), parseDuration("2s"), parseDuration("250ms")]).toEqual([
      90_000, 2_000, 250,
    ]);
    expect(() => parseDuration("99999999999999999999s")).toThrow(/at most 24h/);
    expect(() => parseDuration("1e400s")).toThrow(/duration/);
  });
});

describe("readPem", () => {
  it("refuses what is not a regular file of at most 1 MiB, naming the option and the file, at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rxnaming-pem-"));
    try {
      const fifo = join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      const big = join(dir, "big.pem");
      await writeFile(big, Buffer.alloc(2 * 1024 * 1024, 65));
      const good = join(dir, "ca.pem");
      await writeFile(good, "-----BEGIN CERTIFICATE-----\n");
      expect(() => readPem("--cacert", "/dev/zero")).toThrow(/--cacert \/dev\/zero: not a regular file/);
      expect(() => readPem("--cacert", fifo)).toThrow(/--cacert .*fifo: not a regular file/);
      expect(() => readPem("--cert", big)).toThrow(/--cert .*big\.pem: larger than 1 MiB/);
      expect(() => readPem("--key", join(dir, "none"))).toThrow(/--key .*none: cannot read it \(ENOENT\)/);
      expect(readPem("--cacert", good)?.toString()).toContain("BEGIN CERTIFICATE");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
