import { httpGet, metricSum, parsePrometheus } from "../../test/harness/metrics.js";
import type { ChildMessage, ParentMessage } from "./fixtures.js";
import { sleep } from "./fixtures.js";

/** A full collection; the child runs with `--expose-gc`. */
export const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error("run the scenario with node --expose-gc");
  collect();
  collect();
};

/** Heap in use after garbage has been collected (and finalizers have had a turn). */
export const settledHeap = async (): Promise<number> => {
  await sleep(100);
  gc();
  await sleep(20);
  gc();
  return process.memoryUsage().heapUsed;
};

export const metrics = async (metricsUrl: string): Promise<Map<string, number>> => {
  const { status, body } = await httpGet(`${metricsUrl}/metrics`, 5_000);
  if (status !== 200) throw new Error(`GET ${metricsUrl}/metrics: HTTP ${status}`);
  return parsePrometheus(body);
};

export const metric = (m: ReadonlyMap<string, number>, name: string): number => metricSum(m, name);

/** A labelled series summed over every series of `name` whose labels contain `labelPart`. */
export const metricWhere = (m: ReadonlyMap<string, number>, name: string, labelPart: string): number => {
  let sum = 0;
  for (const [key, value] of m) if (key.startsWith(`${name}{`) && key.includes(labelPart)) sum += value;
  return sum;
};

export const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve, reject) => {
    if (process.send === undefined) throw new Error("not started by the bench (no IPC channel)");
    process.send(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });

const inbox: ParentMessage[] = [];
let waiting: ((m: ParentMessage) => void) | undefined;
process.on("message", (m: ParentMessage) => {
  if (waiting !== undefined) {
    const w = waiting;
    waiting = undefined;
    w(m);
  } else inbox.push(m);
});

/** The next message from the bench. */
export const receive = (): Promise<ParentMessage> => {
  const m = inbox.shift();
  if (m !== undefined) return Promise.resolve(m);
  return new Promise((resolve) => (waiting = resolve));
};

/**
 * Counts consumers' sightings: `expect(n)` resolves with the time of the n-th `hit()`, so that a
 * put's latency ends when the last consumer saw it.
 */
export class Countdown {
  private pending = 0;
  private resolve: ((t: number) => void) | undefined;

  expect(n: number, timeoutMs = 15_000): Promise<number> {
    this.pending = n;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${n - this.pending} of ${n} sightings within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.resolve = (t) => {
        clearTimeout(timer);
        resolve(t);
      };
    });
  }

  hit(): void {
    if (--this.pending === 0) {
      const t = performance.now();
      const resolve = this.resolve;
      this.resolve = undefined;
      resolve?.(t);
    }
  }
}
