/**
 * The cost of traffic safety, and what it buys.
 *
 * 1. Picks per second of p2c and round robin with passive ejection and slow start off, with
 *    ejection on (the default), and with an instance in slow start (goal: p2c with both on at
 *    least 0.8x of p2c without them). Each op is 1,000 picks, each reported `done`.
 * 2. The failing-instance scenario: 10 echo servers, one failing every call with UNAVAILABLE;
 *    5,000 calls, 10 at a time, through grpc-js' `outlier_detection` around `rxnaming_p2c` and
 *    around grpc-js' `round_robin`: the client's error rate. Printed in `beforeAll`.
 *
 * Run: npx vitest bench --run --project bench bench/traffic.bench.ts
 */
import * as grpc from "@grpc/grpc-js";
import * as O from "fp-ts/lib/Option.js";
import { of, Subject, type OperatorFunction } from "rxjs";
import { afterAll, beforeAll, bench, describe } from "vitest";
import { p2c, roundRobin, type Picker } from "../src/balancers/index.js";
import { memoryNaming, registerGrpcResolver } from "../src/index.js";
import { instance, instancesInfo, type Instance, type InstancesInfo } from "../src/model/index.js";
import { call, EchoClient, startEcho, type EchoServer } from "../test/grpc/echo.js";

const PICKS = 1_000;
let sink = 0;

const host = (k: number): Instance => {
  const result = instance({
    appId: "bench",
    hostname: `host-${k}`,
    addrs: [`grpc://10.0.0.${k}:9000`],
    lastTs: 1,
  });
  if (result._tag === "Left") throw result.left;
  return result.right;
};

/** The latest picker of `operator` over 10 instances; with `joiner`, an 11th in the middle of its slow start. */
const pickerOf = (operator: OperatorFunction<InstancesInfo, Picker>, joiner = false): Picker => {
  let picker: Picker | undefined;
  const sets = new Subject<InstancesInfo>();
  sets.pipe(operator).subscribe((p) => (picker = p));
  const ten = Array.from({ length: 10 }, (_, k) => host(k));
  sets.next(instancesInfo("bench", ten, "1"));
  if (joiner) sets.next(instancesInfo("bench", [...ten, host(10)], "2"));
  return picker!;
};

const variants: [string, () => OperatorFunction<InstancesInfo, Picker>, boolean][] = [
  ["p2c, ejection and slow start off", () => p2c({ ejection: false }), false],
  ["p2c, ejection on (default)", () => p2c(), false],
  ["p2c, ejection on, an instance in slow start", () => p2c({ slowStartMs: 3_600_000 }), true],
  ["roundRobin, ejection and slow start off", () => roundRobin({ ejection: false }), false],
  ["roundRobin, ejection on (default)", () => roundRobin(), false],
  ["roundRobin, ejection on, an instance in slow start", () => roundRobin({ slowStartMs: 3_600_000 }), true],
];

describe(`picks, 10 instances (${PICKS} picks + done per op)`, () => {
  for (const [name, make, joiner] of variants) {
    const picker = pickerOf(make(), joiner);
    bench(name, () => {
      for (let k = 0; k < PICKS; k++) {
        const choice = picker.pick();
        if (O.isSome(choice)) {
          sink ^= choice.value.addr.length;
          choice.value.done({ latencyMs: 1 + (k & 7) });
        }
      }
    });
  }
});

// Keeps the results observable so that the JIT cannot drop the loops.
void of(0).subscribe(() => (sink ^= 0));

const naming = memoryNaming({ lingerMs: 0 });
let servers: EchoServer[] = [];

const outlierDetection = (child: object) =>
  JSON.stringify({
    loadBalancingConfig: [
      {
        outlier_detection: {
          interval: { seconds: 1, nanos: 0 },
          base_ejection_time: { seconds: 30, nanos: 0 },
          max_ejection_time: { seconds: 300, nanos: 0 },
          max_ejection_percent: 10,
          failure_percentage_ejection: {
            threshold: 50,
            enforcement_percentage: 100,
            minimum_hosts: 5,
            request_volume: 10,
          },
          child_policy: [child],
        },
      },
    ],
  });

const errorRate = async (child: object): Promise<{ errors: number; calls: number; ms: number }> => {
  const target = `ipv4:${servers.map((s) => `127.0.0.1:${s.port}`).join(",")}`;
  const c = new EchoClient(target, grpc.credentials.createInsecure(), {
    "grpc.service_config": outlierDetection(child),
  });
  const calls = 5_000;
  let started = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (started < calls) {
        started++;
        if (!(await call(c)).ok) errors++;
      }
    }),
  );
  const ms = performance.now() - t0;
  c.close();
  return { errors, calls, ms };
};

beforeAll(async () => {
  await registerGrpcResolver(naming);
  const rows: string[] = [
    "| policy under outlier_detection | client errors | error rate | wall time |",
    "|---|---:|---:|---:|",
  ];
  for (const [name, child] of [
    ["rxnaming_p2c", { rxnaming_p2c: {} }],
    ["rxnaming_p2c, its own ejection off", { rxnaming_p2c: { ejection: false } }],
    ["grpc-js round_robin", { round_robin: {} }],
  ] as const) {
    servers = await Promise.all(Array.from({ length: 10 }, (_, k) => startEcho(`s${k}`)));
    servers[3]!.failWith = grpc.status.UNAVAILABLE;
    const r = await errorRate(child);
    rows.push(
      `| ${name} | ${r.errors} / ${r.calls} | ${((r.errors / r.calls) * 100).toFixed(2)}% | ${Math.round(r.ms)} ms |`,
    );
    await Promise.all(servers.map((s) => s.stop()));
  }
  process.stdout.write(
    `\n10 echo servers, 1 failing every call (UNAVAILABLE); 5,000 calls, 10 at a time:\n${rows.join("\n")}\n\n`,
  );
}, 120_000);

afterAll(() => naming.close());

process.on("exit", () => {
  if (sink === 0.5) console.log(sink);
});
