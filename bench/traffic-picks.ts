/**
 * One row of bench/traffic.bench.ts's picks, in a worker thread of its own: one balancer with one
 * configuration, as an application has it. Why a thread: in one isolate the rows would share the
 * JIT's feedback, and each row's call sites would see every row's functions, which slows the
 * baseline down as much as the others and hides the cost being measured.
 *
 * Told "round", it picks (and reports `done`) for `roundMs` and answers with its picks per second.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as O from "fp-ts/lib/Option.js";
import { Subject, type OperatorFunction } from "rxjs";
import {
  p2c,
  roundRobin,
  weightedRoundRobin,
  type BalancerOptions,
  type Picker,
} from "../src/balancers/index.js";
import { instance, instancesInfo, type Instance, type InstancesInfo } from "../src/model/index.js";

export interface PicksRow {
  readonly balancer: "p2c" | "roundRobin" | "weightedRoundRobin";
  readonly options: Pick<BalancerOptions, "ejection" | "slowStartMs">;
  readonly roundMs: number;
}

const host = (k: number): Instance => {
  const result = instance({
    appId: "bench",
    hostname: `host-${k}`,
    addrs: [`grpc://10.0.0.${k}:9000`],
    metadata: { weight: String(1 + (k % 3)) },
    lastTs: 1,
  });
  if (result._tag === "Left") throw result.left;
  return result.right;
};

/**
 * The latest picker of `operator` after a set of 10 instances and then one of 11: with slow start
 * on, the 11th is in the middle of its ramp.
 */
const pickerOf = (operator: OperatorFunction<InstancesInfo, Picker>): Picker => {
  let picker: Picker | undefined;
  const sets = new Subject<InstancesInfo>();
  sets.pipe(operator).subscribe((p) => (picker = p));
  const ten = Array.from({ length: 10 }, (_, k) => host(k));
  sets.next(instancesInfo("bench", ten, "1"));
  sets.next(instancesInfo("bench", [...ten, host(10)], "2"));
  return picker!;
};

const { balancer, options, roundMs } = workerData as PicksRow;
const make = { p2c, roundRobin, weightedRoundRobin }[balancer];
const picker = pickerOf(make(options));

let sink = 0;
/** Picks and dones for `roundMs`, in batches of 1,000; picks per second. */
const round = (): number => {
  let picks = 0;
  const started = performance.now();
  const until = started + roundMs;
  while (performance.now() < until) {
    for (let k = 0; k < 1_000; k++) {
      const choice = picker.pick();
      if (O.isSome(choice)) {
        sink ^= choice.value.addr.length;
        choice.value.done({ latencyMs: 1 + (k & 7) });
      }
    }
    picks += 1_000;
  }
  return (picks / (performance.now() - started)) * 1_000;
};

parentPort!.on("message", () => parentPort!.postMessage(round() + (sink === 0.5 ? 1 : 0)));
parentPort!.postMessage("ready");
