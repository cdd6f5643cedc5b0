import zookeeper, { type Client, type Stat } from "node-zookeeper-client";
import { filter, firstValueFrom, timeout, type Observable, type Subscription } from "rxjs";
import {
  zookeeperNaming,
  type Naming,
  type RegistrationEvent,
  type ZooKeeperNamingOptions,
} from "../../src/index.js";
import { waitFor } from "../harness/index.js";
import type { ContractWorld } from "../contract/naming-contract.js";

/** A raw ZooKeeper client, as another program (zkCli, a Go Kratos service) would use. */
export class RawZk {
  readonly client: Client;
  private readonly connected: Promise<void>;

  constructor(
    servers: string,
    options: { sessionTimeout?: number; sessionId?: Buffer; sessionPassword?: Buffer } = {},
  ) {
    this.client = zookeeper.createClient(servers, { sessionTimeout: 10_000, spinDelay: 100, ...options });
    this.connected = new Promise((resolve) => this.client.once("connected", () => resolve()));
    this.client.connect();
  }

  ready(): Promise<void> {
    return withTimeout(this.connected, 10_000, "raw ZooKeeper client connect");
  }

  private call<A>(run: (done: (e: unknown, v: A) => void) => void): Promise<A> {
    return this.ready().then(() =>
      withTimeout(
        new Promise<A>((resolve, reject) => run((e, v) => (e ? reject(e as Error) : resolve(v)))),
        10_000,
        "raw ZooKeeper call",
      ),
    );
  }

  /** Writes a persistent node, creating its parents. */
  async put(path: string, value: string): Promise<void> {
    const data = Buffer.from(value, "utf8");
    const parent = path.slice(0, path.lastIndexOf("/"));
    await this.call<string>((done) => this.client.mkdirp(parent, done));
    try {
      await this.call<string>((done) => this.client.create(path, data, done));
    } catch (e) {
      if ((e as { code?: number }).code !== zookeeper.Exception.NODE_EXISTS) throw e;
      await this.call<Stat>((done) => this.client.setData(path, data, -1, done));
    }
  }

  /** Creates an ephemeral node of this client's session. */
  async putEphemeral(path: string, value: string): Promise<void> {
    const parent = path.slice(0, path.lastIndexOf("/"));
    await this.call<string>((done) => this.client.mkdirp(parent, done));
    await this.call<string>((done) =>
      this.client.create(path, Buffer.from(value, "utf8"), zookeeper.CreateMode.EPHEMERAL, done),
    );
  }

  async del(path: string): Promise<void> {
    try {
      await this.call<void>((done) => this.client.remove(path, -1, (e) => done(e, undefined)));
    } catch (e) {
      if ((e as { code?: number }).code !== zookeeper.Exception.NO_NODE) throw e;
    }
  }

  async get(path: string): Promise<string | undefined> {
    try {
      const data = await this.call<Buffer>((done) => this.client.getData(path, (e, d) => done(e, d)));
      return data?.toString("utf8") ?? "";
    } catch (e) {
      if ((e as { code?: number }).code === zookeeper.Exception.NO_NODE) return undefined;
      throw e;
    }
  }

  /** The full paths of the children of `prefix` (with or without its trailing "/"), sorted. */
  async children(prefix: string): Promise<string[]> {
    const path = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    try {
      const names = await this.call<string[]>((done) => this.client.getChildren(path, (e, c) => done(e, c)));
      return names.map((n) => `${path}/${n}`).sort();
    } catch (e) {
      if ((e as { code?: number }).code === zookeeper.Exception.NO_NODE) return [];
      throw e;
    }
  }

  async stat(path: string): Promise<Stat | null> {
    return this.call<Stat | null>((done) => this.client.exists(path, (e, s) => done(e, s)));
  }

  /** Closes the session: its ephemeral nodes go at once. */
  close(): void {
    // The client's close() throws before it has a socket: close once connected.
    void this.connected.then(() => this.client.close());
  }
}

const withTimeout = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

/** Namings and a raw admin client on one ZooKeeper, all closed by `dispose()`. */
export class ZkWorld implements ContractWorld {
  private readonly namings: Naming[] = [];
  private readonly raws: RawZk[] = [];
  readonly admin: RawZk;

  constructor(private readonly servers: () => string) {
    this.admin = this.raw();
  }

  raw(options: ConstructorParameters<typeof RawZk>[1] = {}, servers = this.servers()): RawZk {
    const raw = new RawZk(servers, options);
    this.raws.push(raw);
    return raw;
  }

  /** The contract's keys are `/kratos_etcd/...`: the ZooKeeper root is that prefix. */
  naming(
    options: Partial<ZooKeeperNamingOptions> & { prefix?: string; ttlSeconds?: number; layout?: string } = {},
  ): Naming {
    // ZooKeeper keeps Kratos v1's layout only, and has sessions, not TTLs: the contract's
    // layout and ttlSeconds are not options of zookeeperNaming.
    const { prefix, ttlSeconds: _ttl, layout, ...rest } = options;
    if (layout !== undefined && layout !== "kratos-v1") throw new Error(`ZooKeeper has no ${layout} layout`);
    const naming = zookeeperNaming({
      servers: this.servers(),
      root: prefix ?? "/kratos_etcd",
      lingerMs: 0,
      sessionTimeoutMs: 4_000,
      ...rest,
    });
    this.namings.push(naming);
    return naming;
  }

  put(key: string, value: string): Promise<void> {
    return this.admin.put(key, value);
  }

  del(key: string): Promise<void> {
    return this.admin.del(key);
  }

  get(key: string): Promise<string | undefined> {
    return this.admin.get(key);
  }

  keys(prefix: string): Promise<string[]> {
    return this.admin.children(prefix);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.namings.map((n) => n.close()));
    for (const raw of this.raws) raw.close();
  }
}

/** The first value of `source$` that passes `predicate`, within `ms`. */
export const within = <A>(source$: Observable<A>, predicate: (a: A) => boolean, ms: number): Promise<A> =>
  firstValueFrom(source$.pipe(filter(predicate), timeout({ first: ms })));

/** Registration events with the time each came, for assertions on order and timing. */
export class EventLog {
  readonly entries: { at: number; event: RegistrationEvent }[] = [];
  readonly errors: unknown[] = [];
  private readonly sub: Subscription;

  constructor(events$: Observable<RegistrationEvent>) {
    this.sub = events$.subscribe({
      next: (event) => this.entries.push({ at: Date.now(), event }),
      error: (e: unknown) => this.errors.push(e),
    });
  }

  types(): string[] {
    return this.entries.map((e) => e.event.type);
  }

  count(type: RegistrationEvent["type"]): number {
    return this.entries.filter((e) => e.event.type === type).length;
  }

  /** The `n`th (1-based) event of `type`, once it came. */
  nth(
    type: RegistrationEvent["type"],
    n: number,
    timeoutMs: number,
  ): Promise<{ at: number; event: RegistrationEvent }> {
    return waitFor(() => this.entries.filter((e) => e.event.type === type)[n - 1], {
      timeoutMs,
      intervalMs: 10,
      message: `registration event ${type} #${n}`,
    });
  }

  unsubscribe(): void {
    this.sub.unsubscribe();
  }
}
