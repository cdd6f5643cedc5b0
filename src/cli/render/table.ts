import { pad, visibleWidth } from "./terminal.js";

/** Lines of a table with aligned columns, two spaces apart; `right` lists right-aligned columns. */
export const table = (
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string[] => {
  const widths = headers.map((h, c) =>
    Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[c] ?? ""))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) =>
        c === cells.length - 1 && !right.includes(c)
          ? cell
          : pad(cell, widths[c]!, right.includes(c) ? "right" : "left"),
      )
      .join("  ");
  return [line(headers), ...rows.map(line)];
};
