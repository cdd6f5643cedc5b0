import zookeeper, { type Client, type Stat } from "node-zookeeper-client";
import { backendError } from "../../model/index.js";
import { backendFailure } from "../common/backend-failure.js";
import { withDeadline } from "../../shared/deadline.js";

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
export const zkError = backendFailure((e) => FINAL.has(codeOf(e) ?? 0));

/**
 * One ZooKeeper call as a Promise that settles within `deadlineMs`: the client queues a call made
 * while disconnected and never times it out (docs/zookeeper.md#calls-queue-while-disconnected).
 */
export const zkCall = <A>(
  operation: string,
  deadlineMs: number,
  run: (done: (error: unknown, value: A) => void) => void,
): Promise<A> => {
  const answer = new Promise<A>((resolve, reject) => {
    try {
      run((error, value) => {
        if (error === null || error === undefined) resolve(value);
        else reject(error instanceof Error ? error : new Error(String(error)));
      });
    } catch (e) {
      // The client throws synchronously on a path ZooKeeper cannot hold: retrying cannot cure it.
      reject(backendError(operation, e, { recoverable: false }));
    }
  });
  return withDeadline(`ZooKeeper ${operation}`, deadlineMs, answer);
};

/** `stat.ephemeralOwner` (8 bytes) equals the session id (8 bytes). */
export const ownedBy = (stat: ZkStat, sessionId: Buffer): boolean => stat.ephemeralOwner.equals(sessionId);

/** A zxid (8 bytes, big-endian) as the decimal revision the port speaks. */
export const zxidOf = (zxid: Buffer): bigint => zxid.readBigUInt64BE(0);

/** A session id as ZooKeeper prints it: `0x1000039...`. */
export const sessionIdOf = (id: Buffer): string => `0x${id.readBigUInt64BE(0).toString(16)}`;

/** The client library itself (constants, `createClient`), for the adapter's other files. */
export { zookeeper };
