// Every TypeScript block in the README and in docs/ is an example that runs: the whole of a file
// under examples/ (type-checked by `npm run typecheck`, run by examples.run.test.ts), or, in
// docs/, an excerpt of one. A block that drifts from its file fails here.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

interface Block {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  /** The marker comment right before the block: `example: path` or `excerpt: path`. */
  readonly marker: { readonly kind: "example" | "excerpt"; readonly path: string } | undefined;
}

const MARKER = /^<!--\s*(example|excerpt):\s*(\S+)\s*-->$/;

/** The fenced code blocks of a markdown file, each with the marker line above it, if any. */
const codeBlocks = (file: string, text: string): Block[] => {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: a code block that never closes`);
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === "") above--;
    const marker = above >= 0 ? MARKER.exec(lines[above]!.trim()) : null;
    blocks.push({
      file,
      line: i + 1,
      lang: open[1]!,
      code: lines.slice(i + 1, end).join("\n") + "\n",
      marker: marker ? { kind: marker[1] as "example" | "excerpt", path: marker[2]! } : undefined,
    });
    i = end;
  }
  return blocks;
};

const markdownFiles = (): string[] => [
  "README.md",
  ...readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".md") && !f.startsWith("api"))
    .map((f) => join("docs", f)),
];

const isCode = (lang: string): boolean =>
  ["ts", "typescript", "js", "javascript", "mjs", "tsx"].includes(lang);

describe("code in the README and docs/", () => {
  const blocks = markdownFiles().flatMap((f) => codeBlocks(f, readFileSync(join(root, f), "utf8")));

  it("finds the README's examples (the parser itself works)", () => {
    expect(blocks.filter((b) => b.file === "README.md" && isCode(b.lang)).length).toBeGreaterThanOrEqual(3);
  });

  it.each(blocks.filter((b) => isCode(b.lang)).map((b) => [`${b.file}:${b.line}`, b] as const))(
    "%s is a runnable example, as written",
    (_where, block) => {
      expect(block.marker, "a TypeScript block needs <!-- example: examples/x.ts --> above it").toBeDefined();
      const { kind, path } = block.marker!;
      expect(path.startsWith("examples/"), `${path} is not under examples/`).toBe(true);
      if (block.file === "README.md") expect(kind, "the README shows whole examples").toBe("example");
      const file = readFileSync(join(root, path), "utf8");
      if (kind === "example") expect(block.code).toBe(file);
      else expect(file.includes(block.code), `the excerpt is not in ${path} as written`).toBe(true);
    },
  );
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

/** The anchors of a markdown file: its headings, outside code blocks. */
const anchors = (text: string): Set<string> => {
  const found = new Set<string>();
  let inCode = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) inCode = !inCode;
    const heading = inCode ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) found.add(slug(heading[1]!));
  }
  return found;
};

describe("links in the README and docs/", () => {
  const links = markdownFiles().flatMap((file) =>
    [...readFileSync(join(root, file), "utf8").matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/.test(target))
      .map((target) => [`${file} -> ${target}`, file, target] as const),
  );

  it("finds links (the matcher itself works)", () => {
    expect(links.length).toBeGreaterThan(10);
  });

  it.each(links)("%s leads to a file and heading that exist", (_what, file, target) => {
    const [path, anchor] = target.split("#") as [string, string | undefined];
    const to = path === "" ? join(root, file) : join(root, dirname(file), path);
    const text = readFileSync(to, "utf8");
    if (anchor !== undefined) expect([...anchors(text)]).toContain(anchor);
  });
});

describe("codeBlocks", () => {
  it("reads blocks, their language and the marker above them", () => {
    const md = "text\n\n<!-- example: examples/a.ts -->\n\n```ts\nconst a = 1;\n```\n\n```sh\nls\n```\n";
    expect(codeBlocks("x.md", md)).toEqual([
      {
        file: "x.md",
        line: 5,
        lang: "ts",
        code: "const a = 1;\n",
        marker: { kind: "example", path: "examples/a.ts" },
      },
      { file: "x.md", line: 9, lang: "sh", code: "ls\n", marker: undefined },
    ]);
  });

  it("slugs headings as GitHub does", () => {
    expect(slug("The client's traps, and what rxnaming does about each")).toBe(
      "the-clients-traps-and-what-rxnaming-does-about-each",
    );
    expect(slug("Go neighbours")).toBe("go-neighbours");
  });
});
