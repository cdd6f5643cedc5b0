import { truncate } from "./terminal-text.js";
import { pad, visibleWidth } from "./terminal.js";

/** How a table is laid out besides its cells. */
export interface TableLayout {
  /** The widest a line may be: the widest cells are cut (with an ellipsis) to fit. */
  readonly maxWidth?: number;
  /** Columns that keep a width whatever their cells, so the next ones do not move. */
  readonly minWidths?: readonly number[];
}

const GAP = 2;

/**
 * The widths that fit `total` columns: every column keeps its width up to a cap, the cap as high
 * as the room allows, so narrow columns stay whole and only the widest ones are cut.
 */
const fitWidths = (widths: readonly number[], total: number): number[] => {
  const room = total - GAP * (widths.length - 1);
  const sum = (cap: number): number => widths.reduce((s, w) => s + Math.min(w, cap), 0);
  if (sum(Infinity) <= room) return [...widths];
  let low = 1;
  let high = Math.max(...widths);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (sum(mid) <= room) low = mid;
    else high = mid - 1;
  }
  return widths.map((w) => Math.min(w, Math.max(low, 3)));
};

/**
 * Lines of a table with aligned columns, two spaces apart; `right` lists right-aligned columns.
 * Cells of plain text are cut to fit `layout.maxWidth`; styled cells must fit already.
 */
export const table = (
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
  layout: TableLayout = {},
): string[] => {
  const natural = headers.map((h, c) =>
    Math.max(visibleWidth(h), layout.minWidths?.[c] ?? 0, ...rows.map((r) => visibleWidth(r[c] ?? ""))),
  );
  const widths = layout.maxWidth === undefined ? natural : fitWidths(natural, layout.maxWidth);
  const line = (cells: readonly string[]): string =>
    cells
      .map((raw, c) => {
        const cell = visibleWidth(raw) > widths[c]! ? truncate(raw, widths[c]!) : raw;
        return c === cells.length - 1 && !right.includes(c)
          ? cell
          : pad(cell, widths[c]!, right.includes(c) ? "right" : "left");
      })
      .join("  ");
  return [line(headers), ...rows.map(line)];
};
