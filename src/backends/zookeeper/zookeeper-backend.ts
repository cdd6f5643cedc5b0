import { asyncScheduler, defer, map, switchMap, timeout, type Observable } from "rxjs";
import { backendError, invalidOption } from "../../model/index.js";
import type { Backend, KeyLayout, Lease } from "../../port/index.js";
import { codeOf, zkCall, zkError, ZK } from "./zk-calls.js";
import { prepareZkClient } from "./zk-client-internals.js";
import { ZkLease } from "./zk-lease.js";
import { ZkSessions } from "./zk-sessions.js";
import { zkWatch } from "./zk-watch.js";

/** Options of {@link zookeeperBackend}; `zookeeperNaming` fills them in. */
export interface ZooKeeperBackendOptions {
  /** The connection string: `host:port[,host:port...][/chroot]`. */
  readonly servers: string;
  /** Where nodes live and how values look: Kratos v1 under the root. */
  readonly layout: KeyLayout;
  /** The session timeout asked of the server, in ms (it clamps it to its min/max). */
  readonly sessionTimeoutMs: number;
  /** The deadline of each ZooKeeper call, in ms. */
  readonly requestTimeoutMs: number;
}

/**
 * The ZooKeeper backend: the port over one ZooKeeper session at a time, made again whenever one
 * is lost (docs/registration.md#zookeeper). Watches re-read and send snapshots; leases are the session.
 *
 * Revisions are zxids (ZooKeeper's global transaction ids, in decimal). Those of writes never go
 * back within one backend: a server rebuilt from nothing starts its zxids again.
 */
export const zookeeperBackend = (options: ZooKeeperBackendOptions): Backend => {
  const problem = serversProblem(options.servers);
  if (problem !== undefined) throw invalidOption("servers", problem);
  const unsupported = prepareZkClient();
  if (unsupported !== undefined) throw unsupported;
  const { requestTimeoutMs, sessionTimeoutMs } = options;
  const sessions = new ZkSessions({ servers: options.servers, sessionTimeoutMs, requestTimeoutMs });
  let highest = 0n;
  const revision = (zxid: bigint): string => {
    if (zxid > highest) highest = zxid;
    return highest.toString();
  };
  // A new session can take a whole session timeout to come (a server to find, an old one to
  // give up on); until then a grant waits, and then fails for the core to retry.
  const sessionWait = Math.max(requestTimeoutMs, sessionTimeoutMs * 2);
  const waitSession = () =>
    sessions.session$.pipe(
      timeout({
        first: sessionWait,
        with: () => {
          throw backendError("session", new Error(`no ZooKeeper session within ${sessionWait} ms`));
        },
      }),
    );

  return {
    scheme: "zookeeper",
    scheduler: asyncScheduler,
    layout: options.layout,
    faults$: sessions.faults$,
    watch: (prefix) => zkWatch({ sessions, requestTimeoutMs }, prefix),
    grant: (): Observable<Lease> =>
      waitSession().pipe(map((session) => new ZkLease(session, requestTimeoutMs, revision))),
    delete: (key) =>
      waitSession().pipe(
        switchMap(({ client }) =>
          defer(() =>
            zkCall<void>("remove", requestTimeoutMs, (done) =>
              client.remove(key, -1, (e) => done(e, undefined)),
            ).catch((e: unknown) => {
              if (codeOf(e) !== ZK.noNode) throw zkError("delete", key)(e);
            }),
          ),
        ),
      ),
    close: () => sessions.close(),
  };
};

// The client parses connection strings laxly ("foo" passes, and then never connects): check them.
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:(\d{1,5}))?$/;

/**
 * Why `servers` is not a ZooKeeper connection string `host:port[,host:port...][/chroot]`, or
 * undefined.
 */
export const serversProblem = (servers: unknown): string | undefined => {
  const shape = `must be a ZooKeeper connection string "host:port[,host:port...][/chroot]", got ${JSON.stringify(servers)}`;
  if (typeof servers !== "string" || servers.trim() === "") return shape;
  const slash = servers.indexOf("/");
  const hosts = slash === -1 ? servers : servers.slice(0, slash);
  for (const server of hosts.split(",")) {
    const match = HOST_PORT.exec(server.trim());
    const port = match?.[3] === undefined ? 2181 : Number(match[3]);
    if (match === null || !(port >= 1 && port <= 65_535))
      return `${shape}: bad server ${JSON.stringify(server)}`;
  }
  return undefined;
};
