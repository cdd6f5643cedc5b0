import { createRequire } from "node:module";
import type { Socket } from "node:net";
import zookeeper, { type Client } from "node-zookeeper-client";
import { invalidOption, type NamingError } from "../../model/index.js";

/**
 * The one place that reaches into `node-zookeeper-client`'s internals: its connection manager (to
 * drop a silent connection and to know when a close has finished) and `Exception.create` (which
 * throws on error codes newer than the client). docs/zookeeper.md#the-clients-internals-rxnaming-uses
 *
 * {@link prepareZkClient} checks the shape this relies on when a naming is made, and only then
 * patches `Exception.create`: importing rxnaming changes nothing in the client.
 */

/** The versions of `node-zookeeper-client` whose internals this module is written against. */
export const SUPPORTED_ZK_CLIENT = "~1.1.3";

/** The installed `node-zookeeper-client`'s version, as its package.json says. */
export const installedZkClientVersion = (): string =>
  (createRequire(import.meta.url)("node-zookeeper-client/package.json") as { version: string }).version;

/** The connection manager's states (lib/ConnectionManager.js). */
const STATES = { CONNECTED: 2, CONNECTED_READ_ONLY: 3, CLOSING: -1, CLOSED: -2 } as const;

interface ConnectionManager {
  socket?: Socket;
  state: number;
  setState(state: number): void;
}

interface ExceptionModule {
  create(code: number, path?: string): unknown;
}

const exceptions = zookeeper.Exception as unknown as ExceptionModule;

const managerOf = (client: Client): ConnectionManager =>
  (client as unknown as { connectionManager: ConnectionManager }).connectionManager;

const shapeProblem = (): string | undefined => {
  if (typeof exceptions.create !== "function") return "no Exception.create";
  // A client that is never connected: its constructor opens nothing.
  const probe = zookeeper.createClient("127.0.0.1:1");
  const manager = (probe as unknown as { connectionManager?: Partial<ConnectionManager> }).connectionManager;
  if (manager === undefined) return "no connectionManager";
  if (typeof manager.setState !== "function") return "no connectionManager.setState";
  const states = (manager.constructor as { STATES?: Record<string, number> }).STATES;
  for (const [name, code] of Object.entries(STATES)) {
    if (states?.[name] !== code) return `connection state ${name} is not ${code}`;
  }
  return undefined;
};

// ZooKeeper error codes newer than the client's (it knows down to -115). The client's
// `Exception.create` throws on them from inside its socket handler, which ends the process.
// docs/zookeeper.md#error-codes-newer-than-the-client
const NEWER_CODES: Readonly<Record<number, string>> = {
  [-118]: "SESSION_MOVED",
  [-119]: "NOT_READONLY",
  [-120]: "EPHEMERAL_ON_LOCAL_SESSION",
  [-121]: "NO_WATCHER",
  [-122]: "REQUEST_TIMEOUT",
  [-123]: "RECONFIG_DISABLED",
  [-124]: "SESSION_CLOSED_REQUIRE_SASL_AUTH",
  [-125]: "QUOTA_EXCEEDED",
  [-127]: "THROTTLED_OP",
};
type ExceptionLike = { code: number; name: string; path: string | undefined; message: string };

let patched = false;

/** Makes an unknown error code an error of the client's own class that names it. Once. */
const patchExceptionCreate = (): void => {
  if (patched) return;
  patched = true;
  const create = exceptions.create.bind(exceptions);
  exceptions.create = (code, path) => {
    try {
      return create(code, path);
    } catch {
      const name = NEWER_CODES[code] ?? "UNKNOWN_ERROR_CODE";
      const error = Object.create(zookeeper.Exception.prototype as object) as ExceptionLike;
      Error.captureStackTrace(error);
      error.code = code;
      error.name = name;
      error.path = path;
      error.message = `Exception: ${name}[${code}]${path === undefined ? "" : `@${path}`}`;
      return error;
    }
  };
};

/**
 * Checks that the installed client has the internals rxnaming uses, as `node-zookeeper-client`
 * {@link SUPPORTED_ZK_CLIENT} has them, and makes it survive newer error codes. A `NamingError`
 * naming the supported versions when it does not.
 */
export const prepareZkClient = (): NamingError | undefined => {
  const problem = shapeProblem();
  if (problem !== undefined) {
    return invalidOption(
      "node-zookeeper-client",
      `has changed (${problem}): rxnaming supports node-zookeeper-client ${SUPPORTED_ZK_CLIENT}, ` +
        `and ${installedZkClientVersion()} is installed`,
    );
  }
  patchExceptionCreate();
  return undefined;
};

/** Drops the client's connection; the client then tries the next server, within its session. */
export const dropConnection = (client: Client): void => {
  managerOf(client).socket?.destroy();
};

/**
 * Stops a client within `deadlineMs`: a connected one closes its session (its ephemeral nodes go
 * at once); one that is not connected is stopped, and its session expires on the server. Resolves
 * when no timer or socket of it is left.
 */
export const stopClient = (client: Client, deadlineMs: number): Promise<void> => {
  const manager = managerOf(client);
  return new Promise<void>((resolve) => {
    const deadline = Date.now() + deadlineMs;
    if (manager.state === STATES.CONNECTED || manager.state === STATES.CONNECTED_READ_ONLY) {
      client.close();
    } else {
      // Not connected: no server to tell. The client's close() would queue a close request that
      // goes out before the handshake and makes it misread the server's answer (and throw from
      // its socket handler); a closing state without that request stops it cleanly.
      manager.setState(STATES.CLOSING);
      manager.socket?.destroy();
    }
    const check = (): void => {
      if (manager.state === STATES.CLOSED) return resolve();
      // A reconnect attempt already in flight must not carry on; a close that hangs neither.
      if (manager.state !== STATES.CLOSING || Date.now() > deadline) manager.socket?.destroy();
      if (Date.now() > deadline + 2_000) return resolve();
      setTimeout(check, 20);
    };
    check();
  });
};
