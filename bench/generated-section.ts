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
 * leaving everything around it as it is; the first time, appends it under its heading.
 */
export const writeGeneratedSection = (
  { file, heading, begin, end }: GeneratedSection,
  section: string,
): void => {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  writeFileSync(
    file,
    from !== -1 && to > from
      ? text.slice(0, from) + section + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${heading}\n\n${section}\n`,
  );
};
