import { table } from "../render/table.js";
import { LiveFrame, stylesOf, visibleWidth, type Styles, type Terminal } from "../render/terminal.js";
import { CELL_MAX } from "../render/instance-text.js";
import { cellText, truncate } from "../render/terminal-text.js";
import type { DemoEvent, DemoRun } from "./demo-run.js";
import { serviceStates, type ServiceState } from "./demo-service.js";

/** How the demo shows itself: redrawn in place on a terminal, or as plain lines into a pipe. */
export interface DemoView {
  event(event: DemoEvent): void;
  /** Called every 100 ms while the demo runs. */
  tick(demo: DemoRun): void;
  end(demo: DemoRun): void;
}

const BAR = 20;
// The STATE column keeps the width of the longest state, so the columns after it never move.
const STATE_WIDTH = Math.max(...serviceStates.map((state) => state.length));
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
const stamp = (ms: number): string => `+${seconds(ms).padStart(5)}`;
const percent = (x: number): string => `${Math.round(x * 100)}%`;
const thousands = (n: number): string => n.toLocaleString("en-US");

const bar = (share: number): string => {
  const full = Math.round(share * BAR);
  return "█".repeat(full) + "░".repeat(BAR - full);
};

const stateStyle = (s: Styles, state: ServiceState): ((text: string) => string) =>
  state === "up"
    ? s.green
    : state === "slow" || state === "starting" || state === "re-registering"
      ? s.yellow
      : state === "left"
        ? s.dim
        : s.red;

/** The table of services: state, latency, share of p2c traffic as a bar, share of WRR. */
const serviceRows = (demo: DemoRun, s: Styles): string[] => {
  const shares = demo.traffic.shares();
  const seen = new Set(demo.instances.map((i) => i.hostname));
  const rows = [...demo.services.values()].map((service) => {
    const share = shares.get(service.hostname) ?? { p2c: 0, wrr: 0 };
    const latency = service.spec.latencyMs * (service.slow ? 10 : 1);
    return [
      service.hostname,
      service.spec.zone,
      String(service.weight),
      `${latency} ms`,
      demo.traffic.ejected.has(service.hostname)
        ? s.red("ejected")
        : stateStyle(s, service.state)(demo.traffic.broken.has(service.hostname) ? "broken" : service.state),
      `${s.cyan(bar(share.p2c))} ${percent(share.p2c).padStart(4)}`,
      seen.has(service.hostname) ? percent(share.wrr) : "-",
    ];
  });
  const lines = table(
    ["HOST", "ZONE", "WEIGHT", "LATENCY", "STATE", "P2C TRAFFIC".padEnd(BAR + 5), "WRR"],
    rows,
    [2, 3, 6],
    { minWidths: [0, 0, 0, 0, STATE_WIDTH] },
  );
  return lines.map((line, n) => (n === 0 ? s.dim(line) : line));
};

const totals = (demo: DemoRun): string => {
  const n = demo.instances.length;
  return `${thousands(demo.traffic.requests)} requests, ${thousands(demo.traffic.failed)} failed · p2c over ${n} instance${n === 1 ? "" : "s"} · ${demo.sets} sets from 1 watch`;
};

/** The summary printed when the demo ends, in both views. */
export const summary = (demo: DemoRun, s: Styles): string[] => {
  const rows = [...demo.traffic.byHost.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([host, t]) => [
      cellText(host, CELL_MAX),
      thousands(t.total),
      percent(demo.traffic.requests > 0 ? t.total / demo.traffic.requests : 0),
      t.total - t.failed > 0 ? `${Math.round(t.latencySumMs / (t.total - t.failed))} ms` : "-",
    ]);
  return [
    "",
    s.bold(`Demo over after ${seconds(demo.elapsedMs)} on ${demo.connection.where}.`),
    `${thousands(demo.traffic.requests)} requests, ${thousands(demo.traffic.failed)} failed; the client's one watch delivered ${demo.sets} sets.`,
    ...table(["HOST", "REQUESTS", "SHARE", "AVG LATENCY"], rows, [1, 2, 3]).map((l) => `  ${l}`),
    s.dim(
      "Next: `rxnaming watch <appid> --endpoints <url>` follows an app on etcd; the README shows the code.",
    ),
  ];
};

/** The live view: header, services, the latest events (the newest bold), totals. */
export const liveDemoView = (terminal: Terminal, durationMs: number): DemoView => {
  const frame = new LiveFrame(terminal);
  const s = stylesOf(terminal);
  const header = (demo: DemoRun): string => {
    const time = `${seconds(Math.min(demo.elapsedMs, durationMs))} of ${seconds(durationMs)}`;
    const line = (where: string): string =>
      `${s.bold("rxnaming demo")} · ${demo.appId} on ${where} · ${time} ${s.dim("· Ctrl-C ends it")}`;
    // A narrow terminal cuts where the demo runs, not the hint of how to stop it.
    const where = demo.connection.where;
    const over = visibleWidth(line(where)) - (terminal.columns() - 1);
    return over <= 0 ? line(where) : line(truncate(where, Math.max(8, [...where].length - over)));
  };
  const draw = (demo: DemoRun): void => {
    const recent = demo.events.slice(-6);
    frame.render([
      header(demo),
      "",
      ...serviceRows(demo, s),
      "",
      ...recent.map((e, n) =>
        n === recent.length - 1
          ? s.bold(`> ${stamp(e.atMs)}  ${e.text}`)
          : s.dim(`  ${stamp(e.atMs)}  ${e.text}`),
      ),
      "",
      totals(demo),
    ]);
  };
  let last: DemoRun | undefined;
  return {
    event: () => last && draw(last),
    tick: (demo) => {
      last = demo;
      draw(demo);
    },
    end: (demo) => {
      draw(demo);
      frame.end();
      terminal.write(`${summary(demo, s).join("\n")}\n`);
    },
  };
};

/** Plain lines: every event as it happens, the traffic shares now and then, and the summary. */
export const lineDemoView = (terminal: Terminal, durationMs: number): DemoView => {
  const s = stylesOf(terminal);
  const every = Math.max(1_000, durationMs / 6);
  let nextShares = every;
  const write = (line: string): void => terminal.write(`${line}\n`);
  return {
    event: (e) => write(`${stamp(e.atMs)}  ${e.text}`),
    tick: (demo) => {
      if (demo.elapsedMs < nextShares) return;
      nextShares += every;
      const shares = [...demo.traffic.shares().entries()]
        .filter(([, share]) => share.p2c >= 0.005)
        .map(([host, share]) => `${cellText(host, CELL_MAX)} ${percent(share.p2c)}`);
      write(`${stamp(demo.elapsedMs)}  traffic (p2c): ${shares.join(" · ") || "none"}; ${totals(demo)}`);
    },
    end: (demo) => write(summary(demo, s).join("\n")),
  };
};
