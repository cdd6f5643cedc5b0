import type { DemoRun } from "./demo-run.js";
import type { ServiceSpec } from "./demo-service.js";

/** One thing that happens in the demo, at `at` ms after the start. */
export interface StoryStep {
  readonly at: number;
  run(demo: DemoRun): void | Promise<void>;
}

const spec = (hostname: string, zone: string, port: number, latencyMs: number): ServiceSpec => ({
  hostname,
  zone,
  port,
  weight: 10,
  latencyMs,
});

/** The four services of the story. */
export const SERVICES = {
  a: spec("host-a", "sh001", 9001, 20),
  b: spec("host-b", "sh002", 9002, 24),
  c: spec("host-c", "sh001", 9003, 22),
  d: spec("host-d", "sh002", 9004, 18),
} as const;

/** The lease TTL of the demo's services: short, so that a lost lease is seen within the demo. */
export const demoTtlSeconds = (durationMs: number): number => (durationMs >= 8_000 ? 2 : 1);

/**
 * The story, fitted to the duration: three services start; one joins, one gets slow, one
 * changes weight, one is cut off until its lease expires and then comes back, one breaks (every
 * request fails) and is ejected, then repaired and back, one leaves, and the slow one recovers. Each step says what happens and why, in the log under the view.
 */
export const story = (durationMs: number, ttlSeconds: number): StoryStep[] => {
  const at = (fraction: number): number => Math.round(durationMs * fraction);
  const cutAt = at(0.45);
  return [
    {
      at: 0,
      run: (demo) => {
        demo.log(
          "story",
          `host-a, host-b and host-c start and register; the client balances over them with p2c`,
        );
        demo.startService(SERVICES.a);
        demo.startService(SERVICES.b);
        demo.startService(SERVICES.c);
      },
    },
    {
      at: at(0.12),
      run: (demo) => {
        demo.log("story", "host-d joins: a new lease, a new key; p2c starts measuring it");
        demo.startService(SERVICES.d);
      },
    },
    {
      at: at(0.25),
      run: (demo) => {
        demo.log("story", "host-c gets slow (10x latency): p2c learns it and sends it less");
        demo.services.get("host-c")?.setSlow(true);
      },
    },
    {
      at: at(0.37),
      run: (demo) => {
        demo.log("story", "host-a changes its weight 10 -> 30: the WRR column follows; p2c goes by latency");
        demo.services.get("host-a")?.setWeight(30);
      },
    },
    {
      at: cutAt,
      run: async (demo) => {
        const d = demo.services.get("host-d");
        if (d === undefined) return;
        demo.log("story", `host-d ${d.leaseLossHow(ttlSeconds)}`);
        await d.cutOff();
      },
    },
    {
      at: cutAt + ttlSeconds * 1000 + Math.max(400, at(0.07)),
      run: (demo) => demo.services.get("host-d")?.reconnect((how) => demo.log("story", `host-d ${how}`)),
    },
    {
      at: at(0.52),
      run: (demo) => {
        demo.log(
          "story",
          "host-a breaks: it stays registered, but every request fails; p2c ejects it after 5 failures in a row",
        );
        demo.traffic.onEjection ??= (type, host, forMs) =>
          demo.log(
            "story",
            type === "ejected"
              ? `${host} ejected for ${forMs / 1000} s: no traffic while it is out`
              : `${host} is back from ejection: it ramps up over 1 s (slow start)`,
          );
        demo.traffic.broken.add("host-a");
      },
    },
    {
      at: at(0.56),
      run: (demo) => {
        demo.log("story", "host-a is repaired: it gets traffic again when its ejection ends");
        demo.traffic.broken.delete("host-a");
      },
    },
    {
      at: at(0.68),
      run: (demo) => {
        demo.log(
          "story",
          "host-b stops: its lease is revoked and its key deleted at once, not after the TTL",
        );
        demo.services.get("host-b")?.leave();
      },
    },
    {
      at: at(0.82),
      run: (demo) => {
        demo.log("story", "host-c is fast again: p2c probes it now and then, and it wins its traffic back");
        demo.services.get("host-c")?.setSlow(false);
      },
    },
  ];
};
