import zookeeper, { type Client, type Stat } from "node-zookeeper-client";
import { backendError, isNamingError, type NamingError } from "../../model/index.js";

/** The client of `node-zookeeper-client`, as the adapter uses it. */
export type ZkClient = Client;
/** A znode's stat (versions, zxids, `ephemeralOwner`), as the client gives it. */
export type ZkStat = Stat;

/** ZooKeeper's error codes that the adapter acts on. */
export const ZK = {
  noNode: zookeeper.Exception.NO_NODE,
  nodeExists: zookeeper.Exception.NODE_EXISTS,
  badVersion: zookeeper.Exception.BAD_VERSION,
  notEmpty: zookeeper.Exception.NOT_EMPTY,
} as const;

// What retrying cannot cure: ACLs and credentials. Everything else (a lost connection, an expired
// session, a deadline) passes with a new connection or session.
const FINAL = new Set([
  zookeeper.Exception.NO_AUTH,
  zookeeper.Exception.AUTH_FAILED,
  zookeeper.Exception.INVALID_ACL,
  zookeeper.Exception.BAD_ARGUMENTS,
]);

/** The ZooKeeper error code of what a call failed with, if it is one. */
export const codeOf = (e: unknown): number | undefined =>
  e instanceof zookeeper.Exception ? e.code : undefined;

/** A ZooKeeper failure as a NamingError of tag Backend; recoverable unless access is refused. */
export const zkError =
  (operation: string, key?: string) =>
  (e: unknown): NamingError =>
    isNamingError(e)
      ? e
      : backendError(operation, e, {
          recoverable: !FINAL.has(codeOf(e) ?? 0),
          ...(key !== undefined && { key }),
        });

/**
 * One ZooKeeper call as a Promise that settles within `deadlineMs` (the client queues a
 * call made while disconnected and never times it out). A late answer is ignored.
 */
export const zkCall = <A>(
  operation: string,
  deadlineMs: number,
  run: (done: (error: unknown, value: A) => void) => void,
): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ZooKeeper ${operation} got no answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
    timer.unref();
    try {
      run((error, value) => {
        clearTimeout(timer);
        if (error === null || error === undefined) resolve(value);
        else
          reject(
            error instanceof Error || error instanceof zookeeper.Exception ? error : new Error(String(error)),
          );
      });
    } catch (e) {
      // The client throws synchronously on a path ZooKeeper cannot hold: retrying cannot cure it.
      clearTimeout(timer);
      reject(backendError(operation, e, { recoverable: false }));
    }
  });

/** `stat.ephemeralOwner` (8 bytes) equals the session id (8 bytes). */
export const ownedBy = (stat: ZkStat, sessionId: Buffer): boolean => stat.ephemeralOwner.equals(sessionId);

/** A zxid (8 bytes, big-endian) as the decimal revision the port speaks. */
export const zxidOf = (zxid: Buffer): bigint => zxid.readBigUInt64BE(0);

/** A session id as ZooKeeper prints it: `0x1000039...`. */
export const sessionIdOf = (id: Buffer): string => `0x${id.readBigUInt64BE(0).toString(16)}`;

/** The client library itself (constants, `createClient`), for the adapter's other files. */
export { zookeeper };
