import type { Instance, InstanceChanges, InstancesInfo } from "../../index.js";
import { clock, instanceLine, instanceTable } from "./instance-text.js";
import { LiveFrame, stylesOf, type Terminal } from "./terminal.js";
import { jsonLine } from "./terminal-text.js";

/** How `watch` shows the changes of an app: a live table, plain lines, or JSON lines. */
export interface WatchView {
  changes(c: InstanceChanges): void;
  /** An error the naming reported, as one line (the watch goes on). */
  fault(line: string): void;
  /** The backend is back after an outage; `info` is the set as it stands. */
  back(info: InstancesInfo): void;
  end(): void;
}

type Change = "added" | "removed" | "updated";

const eachChange = (c: InstanceChanges, f: (type: Change, i: Instance) => void): void => {
  c.removed.forEach((i) => f("removed", i));
  c.added.forEach((i) => f("added", i));
  c.updated.forEach((i) => f("updated", i));
};

/**
 * One JSON object per line: `added`, `removed`, `updated` (with the instance), and `synced` after
 * the first set and again when the backend is back after an outage (with `"resumed": true`).
 */
export const jsonWatchView = (write: (line: string) => void): WatchView => ({
  changes: (c) => {
    const { appId, revision } = c.info;
    eachChange(c, (type, instance) => write(jsonLine({ type, appId, revision, instance })));
    if (c.previous === undefined) {
      write(jsonLine({ type: "synced", appId, revision, count: c.info.instances.length }));
    }
  },
  fault: () => undefined, // stderr has them (see the watch command); stdout stays parseable
  back: ({ appId, revision, instances }) =>
    write(jsonLine({ type: "synced", appId, revision, count: instances.length, resumed: true })),
  end: () => undefined,
});

const count = (info: InstancesInfo, where: string): string => {
  const n = info.instances.length;
  return `${n} instance${n === 1 ? "" : "s"} of ${info.appId} in ${where} at revision ${info.revision}`;
};

/** One line per change, for a pipe or a log. */
export const lineWatchView = (write: (line: string) => void, where: string): WatchView => ({
  changes: (c) => {
    const now = clock();
    eachChange(c, (type, i) => write(`${now} ${type.padEnd(7)} ${instanceLine(i)}`));
    if (c.previous === undefined) write(`${now} ${count(c.info, where)}; watching`);
  },
  fault: () => undefined, // stderr has them (see the watch command)
  back: (info) => write(`${clock()} back: ${count(info, where)}; watching`),
  end: () => undefined,
});

/** A table redrawn in place, with the latest changes under it. */
export const liveWatchView = (terminal: Terminal, appId: string, where: string): WatchView => {
  const frame = new LiveFrame(terminal);
  const s = stylesOf(terminal);
  const recent: string[] = [];
  let instances: readonly Instance[] = [];
  let revision = "";
  let fault = "";
  const draw = (): void => {
    const head = `${s.bold(appId)} in ${where}: ${instances.length} instance${instances.length === 1 ? "" : "s"} at revision ${revision} ${s.dim("· Ctrl-C to stop")}`;
    const rows =
      instances.length === 0 ? [s.dim("(no instances)")] : instanceTable(instances, terminal.columns() - 1);
    frame.render([
      head,
      "",
      ...rows.map((r, n) => (n === 0 && instances.length > 0 ? s.dim(r) : r)),
      "",
      ...recent.slice(-8),
      ...(fault === "" ? [] : [s.red(fault)]),
    ]);
  };
  const paint = { added: s.green, removed: s.red, updated: s.yellow };
  return {
    changes: (c) => {
      instances = c.info.instances;
      revision = c.info.revision;
      fault = "";
      const now = clock();
      if (c.previous !== undefined) {
        eachChange(c, (type, i) =>
          recent.push(`${s.dim(now)} ${paint[type](type.padEnd(7))} ${instanceLine(i)}`),
        );
      }
      draw();
    },
    fault: (line) => {
      fault = line;
      draw();
    },
    back: () => {
      fault = "";
      draw();
    },
    end: () => frame.end(),
  };
};
