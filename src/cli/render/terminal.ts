/**
 * What the output stream is: a terminal (a live view, redrawn in place) or a pipe (plain lines),
 * and whether to colour (not when NO_COLOR is set, https://no-color.org, nor into a pipe).
 */
export interface Terminal {
  readonly live: boolean;
  readonly color: boolean;
  /** Width and height of the terminal; 80 x 24 for a pipe. */
  columns(): number;
  rows(): number;
  write(text: string): void;
}

/** The terminal of a stream, as the environment says it is. */
export const terminalOf = (stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Terminal => {
  const live = stream.isTTY === true && env["TERM"] !== "dumb";
  return {
    live,
    color: live && (env["NO_COLOR"] ?? "") === "",
    columns: () => (live && stream.columns > 0 ? stream.columns : 80),
    rows: () => (live && stream.rows > 0 ? stream.rows : 24),
    write: (text) => void stream.write(text),
  };
};

const ESC = "\u001b[";

/** SGR styles; each is the identity when colour is off. */
export interface Styles {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

/** The styles of a terminal. */
export const stylesOf = (terminal: Terminal): Styles => {
  const sgr =
    (on: number, off: number) =>
    (s: string): string =>
      terminal.color ? `${ESC}${on}m${s}${ESC}${off}m` : s;
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    red: sgr(31, 39),
    cyan: sgr(36, 39),
  };
};

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;

/** The width a string takes on screen (every character we print is one column wide). */
export const visibleWidth = (s: string): number => [...s.replace(SGR, "")].length;

/** Cuts a styled string to `width` columns, the last an ellipsis, keeping its escape codes well-formed. */
export const clip = (s: string, width: number): string => {
  if (visibleWidth(s) <= width) return s;
  let out = "";
  let used = 0;
  const room = Math.max(0, width - 1);
  // eslint-disable-next-line no-control-regex
  for (const part of s.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith(ESC)) out += part;
    else if (used < room) {
      const chars = [...part].slice(0, room - used);
      out += chars.join("");
      used += chars.length;
      if (used === room) out += "…";
    }
  }
  return s.includes(ESC) ? `${out}${ESC}0m` : out;
};

/** Pads a styled string with spaces to `width` columns (left-aligned, or right-aligned). */
export const pad = (s: string, width: number, align: "left" | "right" = "left"): string => {
  const fill = " ".repeat(Math.max(0, width - visibleWidth(s)));
  return align === "left" ? s + fill : fill + s;
};

/**
 * A block of lines redrawn in place on a terminal: each frame moves the cursor back to the top
 * of the previous one and overwrites it. Lines are clipped to the width, so none wraps and the
 * count of lines to go back up stays right.
 */
export class LiveFrame {
  private height = 0;

  constructor(private readonly terminal: Terminal) {}

  render(lines: readonly string[]): void {
    const width = this.terminal.columns() - 1;
    const shown = lines.slice(0, Math.max(1, this.terminal.rows() - 1));
    let out = this.height === 0 ? `${ESC}?25l` : `${ESC}${this.height}F`;
    for (const line of shown) out += `${clip(line, width)}${ESC}K\n`;
    out += `${ESC}J`;
    this.terminal.write(out);
    this.height = shown.length;
  }

  /** Leaves the last frame on screen and gives the cursor back. */
  end(): void {
    this.terminal.write(`${ESC}?25h`);
  }
}
