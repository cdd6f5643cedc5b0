// A soak worker: one process with one etcd client (through its own proxies) and one rxnaming
// Naming. It holds a few registrations (some fed by an `Observable<Instance>` that moves their
// version on), replaces one now and then, and watches every app with two resolvers. It reports
// every registration event and errors$ entry to the driver as it happens, and snapshots on request.
import { appendFileSync } from "node:fs";
import { Etcd3 } from "etcd3";
import * as E from "fp-ts/lib/Either.js";
import { BehaviorSubject, type Subscription } from "rxjs";
import { etcdClientOptions, etcdNaming, instance, type Instance, type InstancesInfo } from "../src/index.js";
import type { FromWorker, RegEventType, RegState, ToWorker, ViewState, WorkerConfig } from "./protocol.js";
import { Random } from "./random.js";

const config = JSON.parse(process.argv[2] ?? "{}") as WorkerConfig;
const { id } = config;
const rand = new Random(config.seed);

const send = (message: FromWorker): void => {
  if (process.connected) process.send?.(message);
};
// SOAK_TRACE=/tmp/t writes what each worker handed rxnaming and what it emitted, with times, to
// /tmp/t.w1, /tmp/t.w2 ...: how a failed seed's replay is read next to the driver's fault log.
const tracePath = process.env.SOAK_TRACE;
const trace = (line: string): void => {
  if (tracePath) appendFileSync(`${tracePath}.w${id}`, `${new Date().toISOString()} ${line}\n`);
};

process.on("uncaughtException", (error) => {
  send({ type: "fatal", id, message: error.stack ?? String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
// The driver is gone (crashed or killed): leave, the leases expire by themselves.
process.on("disconnect", () => process.exit(0));

const client = new Etcd3(etcdClientOptions({ hosts: [...config.endpoints] }));
const naming = etcdNaming(client, { ttlSeconds: config.ttlSeconds });
naming.errors$.subscribe((error) => {
  const message = `${error._tag}: ${error.message}`;
  trace(`error ${message}`);
  send({ type: "naming-error", id, at: Date.now(), message });
});

const fingerprint = (info: InstancesInfo): string[] =>
  info.instances.map((i) => `${i.hostname}=${i.version}`);

/** Two resolvers per app (two build() calls): they share one watch and must agree. */
class View {
  latest: InstancesInfo | undefined;
  twin: InstancesInfo | undefined;
  errors = 0;
  completed = false;
  private readonly subs: Subscription[];

  constructor(readonly app: string) {
    const observer = (set: (info: InstancesInfo) => void) => ({
      next: set,
      error: () => this.errors++,
      complete: () => (this.completed = true),
    });
    this.subs = [
      naming.build(app).instances$.subscribe(observer((info) => (this.latest = info))),
      naming.build(app).instances$.subscribe(observer((info) => (this.twin = info))),
    ];
  }

  state(): ViewState {
    return {
      app: this.app,
      fingerprint: this.latest && fingerprint(this.latest),
      revision: this.latest?.revision,
      twin: this.twin && fingerprint(this.twin),
      errors: this.errors,
      completed: this.completed,
    };
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}

const make = (app: string, host: string, version: string): Instance => {
  const made = instance({
    appId: app,
    hostname: host,
    addrs: [`grpc://127.0.0.1:${9000 + id}`],
    version,
    zone: `z${id % 2}`,
    metadata: { worker: String(id) },
  });
  if (E.isLeft(made)) throw made.left;
  return made.right;
};

/** One registration; a dynamic one is fed by a subject whose version moves on now and then. */
class Reg {
  version: string;
  key: string | undefined;
  leaseId: string | undefined;
  last: RegEventType | "none" = "none";
  private readonly source: BehaviorSubject<Instance> | undefined;
  private readonly sub: Subscription;
  private updates = 0;

  constructor(
    readonly app: string,
    readonly host: string,
    readonly dynamic: boolean,
  ) {
    this.version = dynamic ? "v0" : "static";
    const first = make(app, host, this.version);
    this.source = dynamic ? new BehaviorSubject(first) : undefined;
    this.sub = naming.register(this.source ?? first).subscribe({
      next: (event) => {
        trace(
          `${app}/${host} ${event.type} ${"revision" in event ? event.revision : ""} version-now ${this.version}`,
        );
        this.last = event.type;
        if (event.type !== "lost") {
          this.key = event.key;
          this.leaseId = event.leaseId;
        }
        this.report(event.type, event.type === "lost" ? undefined : event.leaseId);
      },
      error: (error: unknown) => {
        this.last = "errored";
        this.report("errored", undefined, String(error));
      },
    });
  }

  update(): void {
    if (this.source === undefined) return;
    this.version = `v${++this.updates}`;
    trace(`${this.app}/${this.host} next ${this.version}`);
    this.source.next(make(this.app, this.host, this.version));
  }

  end(): void {
    this.sub.unsubscribe();
    this.report("unsubscribed");
  }

  state(): RegState {
    return {
      app: this.app,
      host: this.host,
      version: this.version,
      dynamic: this.dynamic,
      key: this.key,
      leaseId: this.leaseId,
      last: this.last,
    };
  }

  private report(event: RegEventType, leaseId?: string, detail?: string): void {
    send({
      type: "event",
      id,
      pid: process.pid,
      at: Date.now(),
      app: this.app,
      host: this.host,
      event,
      ...(leaseId !== undefined && { leaseId }),
      ...(detail !== undefined && { detail }),
    });
  }
}

const views = config.apps.map((app) => new View(app));
// Hostnames are the worker's and its counter's, so a restarted worker reuses its previous life's
// hostnames (and keys): as a restarted service does, while its old leases may still be alive.
let counter = 0;
const newReg = (): Reg => {
  const n = counter++;
  return new Reg(rand.pick(config.apps), `w${id}-r${n}`, n % 2 === 0);
};
let regs: Reg[] = Array.from({ length: config.registrations }, newReg);

let quiet = false;
let stopping = false;
// Churn: now and then one registration goes and a new one comes (in some app); dynamic ones move
// their version on. Both stop while the driver checks.
const churn = setInterval(() => {
  if (quiet || stopping) return;
  for (const r of regs) if (r.dynamic && rand.chance(0.3)) r.update();
  if (rand.chance(0.15)) {
    const victim = rand.pick(regs);
    victim.end();
    regs = [...regs.filter((r) => r !== victim), newReg()];
  }
}, 700);

const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  clearInterval(churn);
  const started = Date.now();
  for (const r of regs) r.end();
  for (const v of views) v.close();
  await naming.close();
  client.close();
  send({ type: "stopped", id, closeMs: Date.now() - started });
  // Let the IPC message out before leaving.
  setTimeout(() => process.exit(0), 50);
};

process.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "quiet":
      quiet = message.on;
      return;
    case "query": {
      let heapUsed: number | undefined;
      const gc = (globalThis as { gc?: () => void }).gc;
      if (message.gc && gc !== undefined) {
        gc();
        heapUsed = process.memoryUsage().heapUsed;
      }
      send({
        type: "state",
        id,
        pid: process.pid,
        seq: message.seq,
        regs: regs.map((r) => r.state()),
        views: views.map((v) => v.state()),
        heapUsed,
      });
      return;
    }
    case "stop":
      void stop();
      return;
  }
});

send({ type: "ready", id, pid: process.pid });
