import { etcdNaming, memoryNaming, zookeeperNaming, type Naming } from "../index.js";
import { layoutNamed, type KeyLayout } from "../layouts.js";
import { MemoryLink, MemoryStore } from "../memory-naming.js";
import { CliError, oneLine, usageError } from "./cli-error.js";
import { discoveryFromOptions } from "./discovery-connection.js";
import type { ConnectionOptions } from "./connection-options.js";
import { DEFAULT_ENDPOINT, etcdConnection, probeEtcd } from "./etcd-connection.js";
import { explainEtcdError } from "./etcd-errors.js";

/**
 * A Naming chosen by the command-line options, with what the commands need around it. The one
 * place that knows the backends: a new backend or key layout is a new branch here and nothing else.
 */
export interface NamingConnection {
  /** Where the instances live, for messages: "etcd http://127.0.0.1:2379" or "the embedded store". */
  readonly where: string;
  readonly naming: Naming;
  /** Another naming on the same backend, as another process would have it: the demo's services. */
  peer(): Peer;
  /** One line for the user about an error of this backend, saying what to do; `about`: the key at stake. */
  explain(error: unknown, about?: string): string;
  /**
   * Whether the backend answers now (etcd: a read of the app's keys within --dial-timeout): how
   * `watch` knows that a stream it saw fail is back. True where there is nothing to ask.
   */
  answers(): Promise<boolean>;
  /** Closes every naming (watches end, leases are revoked), then the client. */
  close(): Promise<void>;
}

/** A naming of a simulated service, and how the demo takes its lease away. */
export interface Peer {
  readonly naming: Naming;
  readonly leaseLoss: LeaseLoss;
}

/** How a backend loses a registration's lease, for the demo. */
export interface LeaseLoss {
  /** What happens, in a few words, for the demo's story line. */
  how(ttlSeconds: number): string;
  /** Starts the loss of this lease. */
  begin(leaseId: string): Promise<void>;
  /**
   * Ends the loss, when it lasts until ended (the peer then finds its lease lost and registers
   * again); absent when the registration recovers by itself.
   */
  readonly end?: { readonly how: string; run(): void };
}

/** What a command tells {@link namingFromOptions} about itself. */
export interface NamingUse {
  /** The app whose keys the command reads or writes: access to them is checked before it starts. */
  readonly appId: string;
  /** Without --endpoints: the embedded store (the demo) rather than etcd at etcdctl's default. */
  readonly embedded?: boolean;
  /** Lease TTL of registrations, in seconds (etcd and the embedded store). */
  readonly ttlSeconds?: number;
  /** ZooKeeper's session timeout, in ms: what keeps a registration there. */
  readonly sessionTimeoutMs?: number;
}

/**
 * The Naming the options select: etcd when `--endpoints` (or ETCD_ENDPOINTS) is given, or when the
 * command needs a real backend (then at etcdctl's default, http://127.0.0.1:2379); the embedded
 * in-memory store otherwise. For etcd it first checks, within `--dial-timeout`, that etcd answers
 * and lets the user read the app's keys; it fails with a {@link CliError} saying what to do.
 */
export const namingFromOptions = async (
  options: ConnectionOptions,
  use: NamingUse,
): Promise<NamingConnection> => {
  if (options.zookeeper !== undefined) return zookeeperFromOptions(options.zookeeper, options, use);
  if (options.discovery !== undefined) return discoveryFromOptions(options.discovery, options, use);
  let layout: KeyLayout;
  try {
    layout = layoutNamed(options.layout, options.prefix);
  } catch (e) {
    throw usageError(`--prefix "${options.prefix ?? ""}" is not a key prefix: ${oneLine(e)}`);
  }
  const appProblem = layout.appIdProblem(use.appId);
  if (appProblem !== undefined) throw usageError(`appid "${use.appId}" ${appProblem}: try another --layout`);
  const keys = {
    layout: options.layout,
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...(use.ttlSeconds !== undefined && { ttlSeconds: use.ttlSeconds }),
  };
  if (options.endpoints === undefined && use.embedded === true) {
    const store = new MemoryStore();
    const namings: Naming[] = [];
    const make = (link?: MemoryLink): Naming => {
      const naming = memoryNaming({ store, ...keys, ...(link && { link }) });
      namings.push(naming);
      return naming;
    };
    return {
      where: "the embedded in-memory store",
      naming: make(),
      peer: () => {
        const link = new MemoryLink();
        return {
          naming: make(link),
          leaseLoss: {
            how: (ttl) =>
              `is cut off from the store: its keep-alives stop and its lease runs down (TTL ${ttl} s)`,
            begin: async () => link.cut(),
            end: {
              how: "reaches the store again: it finds its lease lost and registers anew",
              run: () => link.restore(),
            },
          },
        };
      },
      explain: oneLine,
      answers: async () => true,
      close: async () => {
        await Promise.all(namings.map((n) => n.close()));
      },
    };
  }

  const connection = await etcdConnection(options, options.endpoints ?? DEFAULT_ENDPOINT);
  const { client, target } = connection;
  try {
    await probeEtcd(connection, layout.appPrefix(use.appId));
  } catch (e) {
    client.close();
    throw e;
  }
  const namings: Naming[] = [];
  const make = (): Naming => {
    const naming = etcdNaming(client, keys);
    namings.push(naming);
    return naming;
  };
  return {
    where: `etcd ${target.endpoints.join(",")}`,
    naming: make(),
    peer: () => ({
      naming: make(),
      leaseLoss: {
        how: () => "loses its lease (revoked in etcd): its registration notices and registers anew",
        begin: async (leaseId) => {
          await client.leaseClient.leaseRevoke(
            { ID: leaseId },
            { deadline: new Date(Date.now() + options.dialTimeout) },
          );
        },
      },
    }),
    explain: (error, about) => explainEtcdError(error, { ...target, keyPrefix: about }),
    answers: () =>
      probeEtcd(connection, layout.appPrefix(use.appId)).then(
        () => true,
        () => false,
      ),
    close: async () => {
      // The namings first: they cancel their watches and revoke their leases over the client.
      await Promise.all(namings.map((n) => n.close()));
      client.close();
    },
  };
};

/**
 * ZooKeeper (`--zookeeper`): Kratos v1's layout under the root (`--prefix`, default "/kratos"),
 * sessions for leases. Each naming owns its client, so every peer is a naming of its own. There is
 * no separate probe: a server that does not answer makes the command's first read fail at
 * `--dial-timeout`, with the naming's own message.
 */
const zookeeperFromOptions = async (
  servers: string,
  options: ConnectionOptions,
  use: NamingUse,
): Promise<NamingConnection> => {
  if (options.layout !== "kratos-v1") {
    throw usageError(`--layout ${options.layout} is for etcd; ZooKeeper keeps Kratos v1's layout`);
  }
  const root = options.prefix ?? "/kratos";
  let layout: KeyLayout;
  try {
    layout = layoutNamed("kratos-v1", root);
  } catch (e) {
    throw usageError(`--prefix "${root}" is not a ZooKeeper root: ${oneLine(e)}`);
  }
  const appProblem = layout.appIdProblem(use.appId);
  if (appProblem !== undefined) throw usageError(`appid "${use.appId}" ${appProblem}`);
  const namings: Naming[] = [];
  const make = (): Naming => {
    let naming: Naming;
    try {
      naming = zookeeperNaming({
        servers,
        root,
        fetchTimeoutMs: options.dialTimeout,
        ...(use.sessionTimeoutMs !== undefined && { sessionTimeoutMs: use.sessionTimeoutMs }),
      });
    } catch (e) {
      throw usageError(`--zookeeper "${servers}": ${oneLine(e)}`);
    }
    namings.push(naming);
    return naming;
  };
  const naming = make();
  // What etcd's probe does: the app's first read within --dial-timeout, or a clear failure.
  const first = await naming.build(use.appId).fetch()();
  if (first._tag === "Left") {
    await naming.close();
    throw new CliError(
      `ZooKeeper at ${servers} did not answer within ${options.dialTimeout} ms: is it running and reachable?`,
      1,
    );
  }
  return {
    where: `ZooKeeper ${servers}`,
    naming,
    peer: () => ({
      naming: make(),
      leaseLoss: {
        // A session cannot be taken away from outside without its password; the story says so.
        how: () => "would lose its session: on ZooKeeper the demo leaves its session alone",
        begin: async () => undefined,
      },
    }),
    explain: oneLine,
    // The session is the naming's own: a second without errors is how watch knows it is back.
    answers: async () => true,
    close: async () => {
      await Promise.all(namings.map((n) => n.close()));
    },
  };
};
