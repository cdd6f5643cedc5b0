import type { LayoutName, Naming } from "../index.js";
import type { MemoryLink } from "../memory-naming.js";
import { oneLine } from "./cli-error.js";
import type { EtcdConnection } from "./etcd-connection.js";
import { probedConnection, type Probe } from "./probed-connection.js";

/** A Naming chosen by the command-line options, with what the commands need around it. */
export interface NamingConnection {
  /** Where the instances live, for messages: "etcd http://127.0.0.1:2379" or "the embedded store". */
  readonly where: string;
  readonly naming: Naming;
  /** The backend itself, for who needs more namings on it (the demo's services). */
  readonly backend: BackendAccess;
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

/**
 * Another naming on the connection's backend, as another process would have it; closed with the
 * connection. The embedded store's namings may sit behind a link that can be cut, and etcd's
 * share the connection's client.
 */
export type BackendAccess =
  | { readonly kind: "memory"; another(link: MemoryLink): Naming }
  | { readonly kind: "etcd"; another(): Naming; readonly etcd: EtcdConnection }
  | { readonly kind: "zookeeper" | "discovery"; another(): Naming };

/** What a command tells `namingFromOptions` about itself. */
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

/** Where the keys of etcd and the embedded store live, and the TTL of their leases. */
export interface KeyOptions {
  readonly layout: LayoutName;
  readonly prefix?: string;
  readonly ttlSeconds?: number;
}

/** Namings made one by one, closed together. */
export const ownedNamings = <A extends unknown[]>(
  make: (...args: A) => Naming,
): { make(...args: A): Naming; close(): Promise<void> } => {
  const namings: Naming[] = [];
  return {
    make: (...args) => {
      const naming = make(...args);
      namings.push(naming);
      return naming;
    },
    close: async () => {
      await Promise.all(namings.map((n) => n.close()));
    },
  };
};

/**
 * A backend whose namings each have a client of their own (ZooKeeper, discovery), once the first
 * naming has read `appId` within --dial-timeout. A naming's own client is its only sign of the
 * backend: `answers()` has nothing more to ask, and `watch` takes a second without a new fault as
 * the stream being back.
 */
export const ownClientsConnection = (
  kind: "zookeeper" | "discovery",
  dial: Omit<Probe, "call" | "explain">,
  appId: string,
  make: () => Naming,
): Promise<NamingConnection> =>
  probedConnection(
    (): NamingConnection => {
      const namings = ownedNamings(make);
      return {
        where: `${dial.kind} ${dial.where}`,
        naming: namings.make(),
        backend: { kind, another: namings.make },
        explain: oneLine,
        answers: async () => true,
        close: namings.close,
      };
    },
    ({ naming }) => ({
      ...dial,
      call: async () => {
        const first = await naming.build(appId).fetch()();
        if (first._tag === "Left") throw first.left;
      },
    }),
  );
