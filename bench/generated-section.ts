import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Where a bench writes its table in BENCHMARKS.md: between two marker lines, under a heading. */
export interface GeneratedSection {
  readonly file: string;
  /** The heading the section goes under the first time, e.g. "## HTTP". */
  readonly heading: string;
  readonly begin: string;
  readonly end: string;
}

/**
 * Puts `section` (which starts with `begin` and ends with `end`) in place of the previous one,
 * leaving everything around it as it is; the first time, puts it under its heading (appended with
 * the heading when there is none).
 */
export const writeGeneratedSection = (
  { file, heading, begin, end }: GeneratedSection,
  section: string,
): void => {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  const under = text.indexOf(`\n${heading}\n`);
  const after = under + heading.length + 2;
  writeFileSync(
    file,
    from !== -1 && to > from
      ? text.slice(0, from) + section + text.slice(to + end.length)
      : under !== -1
        ? `${text.slice(0, after)}\n${section}\n${text.slice(after)}`
        : `${text.trimEnd()}\n\n${heading}\n\n${section}\n`,
  );
};
