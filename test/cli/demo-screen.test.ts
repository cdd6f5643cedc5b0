import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, useBuiltCli } from "../harness/cli-process.js";
import { TmuxScreen } from "./tmux-screen.js";

// The demo as a new user first sees it: `npm start`, in a terminal of 80 columns.
const cli = useBuiltCli();

describe("the demo at 80 columns", () => {
  it("keeps the header's hint, ends cut lines with an ellipsis, and keeps the STATE column's width", async () => {
    const screen = await TmuxScreen.start(
      `node ${cli().main} demo --duration 6s; sleep 60`,
      80,
      30,
      cleanEnv(),
    );
    try {
      const offsets = new Set<number>();
      const screens: string[] = [];
      const deadline = Date.now() + 40_000;
      for (;;) {
        const shown = await screen.capture();
        const header = shown.split("\n").find((l) => l.startsWith("HOST "));
        if (header !== undefined) {
          offsets.add(header.indexOf("P2C TRAFFIC") - header.indexOf("STATE"));
          screens.push(shown);
        }
        if (/Demo over/.test(shown) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(screens.length).toBeGreaterThan(3);
      expect([...offsets]).toEqual(["re-registering".length + 2]);
      const live = screens[0]!;
      expect(live.split("\n")[0]).toMatch(/^rxnaming demo .*Ctrl-C ends it$/);
      // An event line that reaches the last column was cut, and says so.
      const events = screens.flatMap((s) => s.split("\n").filter((l) => /^[> ] \+ ?\d+\.\ds {2}/.test(l)));
      expect(events.some((l) => l.length >= 79)).toBe(true);
      for (const line of events) if (line.length >= 79) expect(line).toMatch(/…$/);
    } finally {
      await screen.kill();
    }
  });
});

describe("npm start", () => {
  it("says it is building before the build, then runs the demo", async () => {
    const root = join(import.meta.dirname, "..", "..");
    const child = spawn("npm", ["start", "--silent", "--", "--duration", "1s"], {
      cwd: root,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(code).toBe(0);
    expect(out).toMatch(/^building rxnaming\.\.\.\n/);
    expect(out).toContain("Demo over after");
  }, 300_000);
});
