import type { Etcd3 } from "etcd3";
import type { Observable, Subscription } from "rxjs";
import {
  type InstancesInfo,
  type Naming,
  type NamingError,
  type RegistrationEvent,
} from "../../src/index.js";
import { encodeInstance } from "../../src/testing/index.js";
import { inst } from "../contract/naming-contract.js";
import { waitFor, type EtcdProcess } from "../harness/index.js";

export { EtcdWorld } from "../etcd/support.js";
export { freshApp, inst } from "../contract/naming-contract.js";

/** Kratos v1 key of an instance under the default prefix. */
export const keyOf = (app: string, host: string): string => `/kratos_etcd/${app}/${host}`;

const soon = (): Date => new Date(Date.now() + 3_000);

/** Writes an instance of `app` as another program would; `version` tells one write from the next. */
export const putInstance = async (client: Etcd3, app: string, host: string, version = ""): Promise<void> => {
  await client
    .put(keyOf(app, host))
    .value(encodeInstance(inst(app, host, { version })))
    .options({ deadline: soon() })
    .exec();
};

export const deleteInstance = async (client: Etcd3, app: string, host: string): Promise<void> => {
  await client.delete().key(keyOf(app, host)).options({ deadline: soon() }).exec();
};

/** A set as `hostname=version` lines, sorted: what two views of one app must agree on. */
export type Fingerprint = string[];

export const fingerprint = (info: InstancesInfo): Fingerprint =>
  info.instances.map((i) => `${i.hostname}=${i.version}`);

/** etcd's own view of an app (one range read), as a fingerprint, and the revision it was read at. */
export const etcdState = async (
  client: Etcd3,
  app: string,
): Promise<{ fingerprint: Fingerprint; revision: string }> => {
  const prefix = `/kratos_etcd/${app}/`;
  const res = await client.getAll().prefix(prefix).exec();
  const fp = res.kvs.map((kv) => {
    const host = kv.key.toString().slice(prefix.length);
    const value = JSON.parse(kv.value.toString()) as { version?: string };
    return `${host}=${value.version ?? ""}`;
  }); // etcd returns keys sorted, as resolvers sort hostnames
  return { fingerprint: fp, revision: res.header.revision };
};

/** Everything an `instances$` subscriber saw: every set, any error, completion. */
export class Recorder {
  readonly sets: InstancesInfo[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  private readonly sub: Subscription;

  constructor(info$: Observable<InstancesInfo>) {
    this.sub = info$.subscribe({
      next: (info) => this.sets.push(info),
      error: (e: unknown) => this.errors.push(e),
      complete: () => (this.completed = true),
    });
  }

  get latest(): InstancesInfo | undefined {
    return this.sets[this.sets.length - 1];
  }

  hosts(): string[] {
    return this.latest?.instances.map((i) => i.hostname) ?? [];
  }

  fingerprint(): Fingerprint | undefined {
    const latest = this.latest;
    return latest === undefined ? undefined : fingerprint(latest);
  }

  /** Resolves with the first set (already seen or to come) for which `predicate` holds. */
  async until(
    predicate: (hosts: string[]) => boolean,
    timeoutMs = 5_000,
    message = "a matching set",
  ): Promise<InstancesInfo> {
    return waitFor(() => (this.latest !== undefined && predicate(this.hosts()) ? this.latest : undefined), {
      timeoutMs,
      intervalMs: 10,
      message,
    });
  }

  unsubscribe(): void {
    this.sub.unsubscribe();
  }
}

/** Collects a naming's errors$ with the time each arrived. */
/** A registration's events and errors, as they come. */
export class RegistrationLog {
  readonly events: RegistrationEvent[] = [];
  readonly errors: unknown[] = [];
  readonly sub: Subscription;

  constructor(events$: Observable<RegistrationEvent>) {
    this.sub = events$.subscribe({
      next: (e) => this.events.push(e),
      error: (e: unknown) => this.errors.push(e),
    });
  }
}

export class ErrorLog {
  readonly entries: { at: number; error: NamingError }[] = [];
  private readonly sub: Subscription;

  constructor(naming: Naming) {
    this.sub = naming.errors$.subscribe((error) => this.entries.push({ at: Date.now(), error }));
  }

  get errors(): NamingError[] {
    return this.entries.map((e) => e.error);
  }

  since(t: number): NamingError[] {
    return this.entries.filter((e) => e.at >= t).map((e) => e.error);
  }

  /** Resolves with the first error at or after `t` that matches. */
  async first(
    t: number,
    predicate: (e: NamingError) => boolean = () => true,
    timeoutMs = 10_000,
    message = "an error on errors$",
  ): Promise<{ at: number; error: NamingError }> {
    return waitFor(() => this.entries.find((e) => e.at >= t && predicate(e.error)), {
      timeoutMs,
      intervalMs: 10,
      message,
    });
  }

  describe(): string {
    return this.entries.map((e) => `${e.error._tag}: ${e.error.message}`).join("\n");
  }

  unsubscribe(): void {
    this.sub.unsubscribe();
  }
}

/**
 * Waits until every recorder's latest set equals etcd's own (read fresh on each poll).
 * Returns etcd's final fingerprint.
 */
export const converged = async (
  client: Etcd3,
  app: string,
  recorders: readonly Recorder[],
  timeoutMs: number,
): Promise<Fingerprint> => {
  let last = "";
  try {
    return await waitFor(
      async () => {
        const truth = (await etcdState(client, app)).fingerprint;
        const views = recorders.map((r) => r.fingerprint());
        last = `etcd=${truth.length} [${truth.slice(0, 5).join(",")}...] views=${views
          .map((v) => (v === undefined ? "none" : `${v.length}`))
          .join("/")}`;
        return views.every((v) => v !== undefined && v.join("\n") === truth.join("\n")) ? truth : undefined;
      },
      { timeoutMs, intervalMs: 25, message: "every resolver equal to etcd" },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last: ${last}`, { cause: error });
  }
};

/** Keeps putting and deleting instances of `app` until stopped; write failures (etcd down) are counted. */
export class Churn {
  private running = true;
  private readonly done: Promise<void>;
  writes = 0;
  failures = 0;

  constructor(
    private readonly client: Etcd3,
    private readonly app: string,
    private readonly hosts = 20,
    private readonly pauseMs = 5,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    let n = 0;
    while (this.running) {
      n++;
      const host = `churn-${n % this.hosts}`;
      try {
        if (n % 3 === 0) await deleteInstance(this.client, this.app, host);
        else await putInstance(this.client, this.app, host, `v${n}`);
        this.writes++;
      } catch {
        this.failures++;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/**
 * gRPC streams of `method` ("Watch", "LeaseKeepAlive") open on a member now: started minus handled,
 * from its /metrics. Tells which member a client's watch or keep-alive stream is on.
 */
export const openStreams = async (member: EtcdProcess, method: string): Promise<number> => {
  const metrics = await member.metrics();
  const count = (name: string): number => {
    let sum = 0;
    for (const [key, value] of metrics) {
      if (key.startsWith(`${name}{`) && key.includes(`grpc_method="${method}"`)) sum += value;
    }
    return sum;
  };
  return count("grpc_server_started_total") - count("grpc_server_handled_total");
};

/** The index of the member that holds the most open `method` streams (waits until one does). */
export const memberWith = async (members: readonly EtcdProcess[], method: string): Promise<number> =>
  waitFor(
    async () => {
      const counts = await Promise.all(members.map((m) => openStreams(m, method)));
      const max = Math.max(...counts);
      return max > 0 ? counts.indexOf(max) + 1 : 0;
    },
    { timeoutMs: 5_000, message: `a member with an open ${method} stream` },
  ).then((i) => i - 1);

/** Lease keep-alives granted so far by the running members (see EtcdProcess.leaseRenewals). */
export const leaseRenewals = async (members: readonly EtcdProcess[]): Promise<number> => {
  const counts = await Promise.all(members.filter((m) => m.running).map((m) => m.leaseRenewals()));
  return counts.reduce((sum, n) => sum + n, 0);
};
