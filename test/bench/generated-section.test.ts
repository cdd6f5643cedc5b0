// Where a bench writes its table in BENCHMARKS.md: in place of the previous one, else under its
// heading, else appended with the heading; nothing around it changes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeGeneratedSection } from "../../bench/generated-section.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const written = (before: string | undefined, section: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "rxnaming-section-"));
  dirs.push(dir);
  const file = join(dir, "BENCHMARKS.md");
  if (before !== undefined) writeFileSync(file, before);
  writeGeneratedSection({ file, heading: "## X", begin: "<!-- x:begin -->", end: "<!-- x:end -->" }, section);
  return readFileSync(file, "utf8");
};

describe("writeGeneratedSection", () => {
  const table = "<!-- x:begin -->\nnew\n<!-- x:end -->";

  it("replaces the previous table between the markers, and nothing else", () => {
    expect(written("# B\n\n## X\n\n<!-- x:begin -->\nold\n<!-- x:end -->\n\n## Y\n", table)).toBe(
      `# B\n\n## X\n\n${table}\n\n## Y\n`,
    );
  });

  it("puts a first table under its heading when the heading is there", () => {
    expect(written("# B\n\n## X\n\nWhat X measures.\n\n## Y\n", table)).toBe(
      `# B\n\n## X\n\n${table}\n\nWhat X measures.\n\n## Y\n`,
    );
  });

  it("appends the heading and the table to a file without either, or to a new file", () => {
    expect(written("# B\n\n## Y\n", table)).toBe(`# B\n\n## Y\n\n## X\n\n${table}\n`);
    expect(written(undefined, table)).toBe(`# Benchmarks\n\n## X\n\n${table}\n`);
  });
});
