// A pseudo-terminal whose screen a test can read: a detached tmux session on a private server.
// Why tmux rather than `script`: tmux interprets the escape codes, so `capture-pane` gives the
// screen as a user sees it, not the bytes that drew it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
let sessions = 0;

export class TmuxScreen {
  private constructor(private readonly socket: string) {}

  /** Starts `command` (a shell command line) in a terminal of `columns` x `rows`. */
  static async start(
    command: string,
    columns = 120,
    rows = 40,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<TmuxScreen> {
    const socket = `rxnaming-cli-test-${process.pid}-${sessions++}`;
    await run(
      "tmux",
      [
        "-L",
        socket,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-x",
        String(columns),
        "-y",
        String(rows),
        command,
      ],
      { env },
    );
    return new TmuxScreen(socket);
  }

  /** The visible screen, as text (`escapes`: with tmux's rendering of colours and attributes). */
  async capture(escapes = false): Promise<string> {
    const { stdout } = await run("tmux", [
      "-L",
      this.socket,
      "capture-pane",
      "-p",
      ...(escapes ? ["-e"] : []),
    ]);
    return stdout;
  }

  /** Waits until the screen matches, or fails with what the screen shows. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.capture();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The pane's title, as escape sequences (OSC 0 or 2) may have set it. */
  async title(): Promise<string> {
    const { stdout } = await run("tmux", ["-L", this.socket, "display-message", "-p", "#{pane_title}"]);
    return stdout.trim();
  }

  /** Sends keys, as tmux names them (e.g. "C-c"). */
  async keys(...keys: string[]): Promise<void> {
    await run("tmux", ["-L", this.socket, "send-keys", ...keys]);
  }

  async kill(): Promise<void> {
    await run("tmux", ["-L", this.socket, "kill-server"]).catch(() => undefined);
  }
}
