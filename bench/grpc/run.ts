import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import * as grpc from "@grpc/grpc-js";
import type { Subscription } from "rxjs";
import { instance, memoryNaming, registerGrpcResolver, type Naming } from "../../src/index.js";

/** Sizes of the gRPC bench. */
export const GRPC_SIZES = {
  /** Calls in flight at once, per channel. */
  concurrency: 32,
  /** Length of one measured round, per policy: short, so that many pairs average out a shared machine. */
  roundMs: 500,
  /** Rounds per policy, in pairs ordered A B, B A, ... */
  rounds: 20,
  warmupMs: 1_500,
} as const;

export const POLICIES = ["round_robin", "rxnaming_p2c"] as const;
export type Policy = (typeof POLICIES)[number];

export interface GrpcBenchResults {
  readonly date: string;
  readonly load: readonly [number, number];
  /** Calls per second of each round, per policy. */
  readonly rounds: Record<Policy, number[]>;
  /** Client CPU (user + system) per call of each round, in µs, per policy. */
  readonly cpuPerCall: Record<Policy, number[]>;
  /** Share of the calls each server got in the last round, per policy. */
  readonly spread: Record<Policy, Record<string, number>>;
}

const raw = (b: Buffer): Buffer => b;
const Echo = grpc.makeGenericClientConstructor(
  {
    echo: {
      path: "/rxnaming.bench.Echo/Echo",
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  },
  "Echo",
);
type EchoClient = grpc.Client & {
  echo(m: Buffer, cb: (e: grpc.ServiceError | null, r?: Buffer) => void): void;
};

const request = Buffer.from("ping");
/** One unary call; resolves with the server's name. */
export const echoOnce = (c: grpc.Client): Promise<string> =>
  new Promise((resolve, reject) =>
    (c as EchoClient).echo(request, (e, r) => (e ? reject(e) : resolve(r!.toString()))),
  );

/** Echo servers in a child process, a memory naming that lists them, and one channel per policy. */
export class GrpcBenchWorld {
  private constructor(
    private readonly child: ChildProcess,
    private readonly naming: Naming,
    private readonly registrations: Subscription[],
    readonly channels: Record<Policy, grpc.Client>,
  ) {}

  static async start(): Promise<GrpcBenchWorld> {
    const child = spawn(process.execPath, [join(import.meta.dirname, "echo-servers.mjs")], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`echo servers exited with ${code}`)));
    });
    const ports = JSON.parse(line) as number[];
    const naming = memoryNaming();
    const registrations = ports.map((port, k) => {
      const i = instance({ appId: "bench.echo", hostname: `e${k + 1}`, addrs: [`grpc://127.0.0.1:${port}`] });
      if (E.isLeft(i)) throw i.left;
      return naming.register(i.right).subscribe();
    });
    await registerGrpcResolver(naming);
    const open = (policy: Policy) =>
      new Echo("memory:///bench.echo", grpc.credentials.createInsecure(), {
        "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ [policy]: {} }] }),
      });
    const channels = { round_robin: open("round_robin"), rxnaming_p2c: open("rxnaming_p2c") };
    return new GrpcBenchWorld(child, naming, registrations, channels);
  }

  async close(): Promise<void> {
    for (const c of Object.values(this.channels)) c.close();
    for (const r of this.registrations) r.unsubscribe();
    await this.naming.close();
    this.child.stdin?.end();
    this.child.kill();
  }
}

/** `concurrency` callers for `ms`: calls per second, and how many reached each server. */
export const throughput = async (
  c: grpc.Client,
  ms: number,
  concurrency: number,
): Promise<{ perSecond: number; cpuPerCallUs: number; byServer: Map<string, number> }> => {
  const byServer = new Map<string, number>();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  let calls = 0;
  const caller = async () => {
    while (performance.now() < end) {
      const server = await echoOnce(c);
      calls++;
      byServer.set(server, (byServer.get(server) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const used = process.cpuUsage(cpu);
  return {
    perSecond: (calls * 1000) / (performance.now() - start),
    cpuPerCallUs: (used.user + used.system) / calls,
    byServer,
  };
};

/** Alternating rounds of both policies on the same servers, after a warm-up of each. */
export const runGrpcBench = async (world: GrpcBenchWorld): Promise<GrpcBenchResults> => {
  const { loadavg } = await import("node:os");
  const load0 = loadavg()[0]!;
  for (const p of POLICIES) await throughput(world.channels[p], GRPC_SIZES.warmupMs, GRPC_SIZES.concurrency);
  const rounds: Record<Policy, number[]> = { round_robin: [], rxnaming_p2c: [] };
  const cpuPerCall: Record<Policy, number[]> = { round_robin: [], rxnaming_p2c: [] };
  const spread = {} as Record<Policy, Record<string, number>>;
  for (let r = 0; r < GRPC_SIZES.rounds; r++) {
    // Alternate which goes first, so that neither always runs on a warmer (or busier) machine.
    const order = r % 2 === 0 ? POLICIES : [...POLICIES].reverse();
    for (const p of order) {
      const { perSecond, cpuPerCallUs, byServer } = await throughput(
        world.channels[p],
        GRPC_SIZES.roundMs,
        GRPC_SIZES.concurrency,
      );
      rounds[p].push(perSecond);
      cpuPerCall[p].push(cpuPerCallUs);
      const total = [...byServer.values()].reduce((a, b) => a + b, 0);
      spread[p] = Object.fromEntries([...byServer].sort().map(([s, n]) => [s, n / total]));
    }
  }
  return { date: new Date().toISOString(), load: [load0, loadavg()[0]!], rounds, cpuPerCall, spread };
};
