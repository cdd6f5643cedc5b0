/**
 * The client's own work per request, without the network: each pool's connections are stand-ins
 * that answer every request at once (status, headers, body, end) through undici's callbacks. What
 * is left is what BalancedPool or the interceptor and its pools do per request; other load on the
 * machine moves it far less than it moves requests per second over sockets.
 */
import { Agent, BalancedPool, Dispatcher, Pool } from "undici";
import { memoryNaming } from "../../src/index.js";
import { testInstance } from "../../src/testing/index.js";
import { namingInterceptor } from "../../src/undici/index.js";

/** What a node:http server answers (the headers of bench/http/servers.mjs). */
const HEADERS = [
  ["content-type", "text/plain"],
  ["date", "Fri, 04 Dec 2026 22:00:00 GMT"],
  ["connection", "keep-alive"],
  ["keep-alive", "timeout=5"],
  ["content-length", "8"],
].flat();
const RAW_HEADERS = HEADERS.map((h) => Buffer.from(h, "latin1"));
const BODY = Buffer.from("server 0");

/** A connection that answers each request at once, as a pool's `factory` makes it. */
class InstantConnection extends Dispatcher {
  override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    handler.onConnect!(() => undefined);
    handler.onHeaders!(200, RAW_HEADERS, () => undefined, "OK");
    handler.onData!(BODY);
    handler.onComplete!([]);
    return true;
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }

  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}

const factory = (): Dispatcher => new InstantConnection();

/** A caller's handler with undici's callbacks, as `request()` and `fetch()` give one. */
const caller = {
  answered: 0,
  onConnect: () => undefined,
  onHeaders: () => true,
  onData: () => true,
  onComplete(): void {
    this.answered++;
  },
  onError(error: Error): void {
    throw error;
  },
};

export interface InstantRow {
  readonly name: string;
  /** µs per request, one per round. */
  readonly us: number[];
}

/**
 * `rounds` alternating rounds of `requests` dispatches through BalancedPool and through the
 * interceptor (p2c, round robin) over three origins whose connections answer at once.
 */
export const instantDispatch = async (rounds: number, requests: number): Promise<InstantRow[]> => {
  const origins = [1, 2, 3].map((n) => `http://127.0.0.1:${n}`);
  const naming = memoryNaming();
  const subs = origins.map((addr, n) =>
    naming.register(testInstance({ appId: "bench.http", hostname: `s${n}`, addrs: [addr] })).subscribe(),
  );
  const p2c = namingInterceptor(naming, { pool: { factory } });
  const rr = namingInterceptor(naming, { balancer: "round_robin", pool: { factory } });
  const contenders: [string, Dispatcher, string][] = [
    [
      "undici BalancedPool",
      new BalancedPool(origins, { factory: (origin, options) => new Pool(origin, { ...options, factory }) }),
      origins[0]!,
    ],
    ["namingInterceptor p2c", new Agent().compose(p2c), "http://bench.http"],
    ["namingInterceptor round_robin", new Agent().compose(rr), "http://bench.http"],
  ];
  const send = (d: Dispatcher, origin: string) => d.dispatch({ origin, path: "/", method: "GET" }, caller);
  // The first request of an app waits for its first set; then a warm-up for the JIT.
  const first = caller.answered;
  for (const [, d, o] of contenders) send(d, o);
  while (caller.answered < first + contenders.length) await new Promise((r) => setTimeout(r, 5));
  for (const [, d, o] of contenders) for (let i = 0; i < requests; i++) send(d, o);
  const rows: InstantRow[] = contenders.map(([name]) => ({ name, us: [] }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (r + k) % contenders.length;
      const [, d, o] = contenders[i]!;
      const started = performance.now();
      for (let n = 0; n < requests; n++) send(d, o);
      rows[i]!.us.push(((performance.now() - started) * 1_000) / requests);
    }
  }
  // Every request must have been answered, synchronously: else the rounds measured something else.
  const expected = first + contenders.length * (1 + requests * (1 + rounds));
  if (caller.answered !== expected) throw new Error(`answered ${caller.answered} of ${expected} requests`);
  subs.forEach((s) => s.unsubscribe());
  await Promise.all(contenders.map(([, d]) => d.close()));
  await p2c.close();
  await rr.close();
  await naming.close();
  return rows;
};
