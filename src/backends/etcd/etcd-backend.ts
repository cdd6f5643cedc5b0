import * as TE from "fp-ts/lib/TaskEither.js";
import type { Etcd3, IDeleteRangeResponse, IRangeResponse } from "etcd3";
import { asyncScheduler, Observable, Subject } from "rxjs";
import type { NamingError } from "../../model/index.js";
import {
  fromTaskEither,
  type Backend,
  type KeyLayout,
  type KeyValue,
  type Lease,
  type Revision,
  type WatchMessage,
} from "../../port/index.js";
import { kratosV1Layout } from "../layouts/index.js";
import { etcdError } from "./etcd-errors.js";
import { EtcdLease } from "./etcd-lease.js";
import { KeepAliveHub } from "./keepalive-hub.js";
import { Members } from "./members.js";
import { prefixEnd } from "./prefix-end.js";
import { WatchHub, type WatchHubOptions } from "./watch-hub.js";

export interface EtcdBackendOptions {
  /** The deadline of every unary call (range, put, grant, revoke), ms. Default 5,000. */
  readonly requestTimeoutMs?: number;
  readonly watch?: WatchHubOptions;
  /** Where keys live and how values look. Default Kratos v1 under "kratos_etcd". */
  readonly layout?: KeyLayout;
}

/**
 * The etcd backend: range reads with their header revision, one shared watch stream
 * ({@link WatchHub}), leases kept alive over one shared stream ({@link KeepAliveHub}). Every
 * Promise of the client enters through `TE.tryCatch` here, with a deadline, and no rejection
 * escapes.
 */
export const etcdBackend = (client: Etcd3, options: EtcdBackendOptions = {}): Backend => {
  const deadlineMs = options.requestTimeoutMs ?? 5_000;
  // One view of which members are hung or unreachable, for every call and both streams; and the
  // calls go to the members directly, whatever the client's own fault policy (see Members).
  const members = new Members(client);
  const faults = new Subject<NamingError>();
  const fault = (error: NamingError): void => faults.next(error);
  const keepAlive = new KeepAliveHub({ members, fault });

  const range = (prefix: string): TE.TaskEither<NamingError, { revision: Revision; entries: KeyValue[] }> =>
    TE.tryCatch(async () => {
      const key = Buffer.from(prefix);
      const request = { key, range_end: prefixEnd(key) };
      const res = await members.unary<IRangeResponse>(
        { service: "KV", method: "range", request, fallback: (o) => client.kv.range(request, o) },
        deadlineMs,
      );
      return {
        revision: res.header.revision,
        entries: res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString() })),
      };
    }, etcdError("range"));

  const hub = new WatchHub(
    {
      members,
      fault,
      // Any unary call re-authenticates when the token has expired.
      refreshAuth: async () => {
        const request = { key: Buffer.from("/"), count_only: true };
        await members
          .unary(
            { service: "KV", method: "range", request, fallback: (o) => client.kv.range(request, o) },
            deadlineMs,
          )
          .catch(() => undefined);
      },
    },
    options.watch,
  );

  const watch = (prefix: string, since?: Revision): Observable<WatchMessage> =>
    new Observable<WatchMessage>((subscriber) => {
      let cancel: (() => void) | undefined;
      let done = false;
      const watchAfter = (after: Revision): void => {
        cancel = hub.open(prefix, after, {
          batch: (revision, changes) => subscriber.next({ type: "batch", revision, changes }),
          // Compacted past our revision: read the whole set again; core emits the difference.
          compacted: () => snapshotThenWatch(),
          failed: (error) => subscriber.error(error),
        });
      };
      const snapshotThenWatch = (): void => {
        cancel = undefined;
        void range(prefix)().then((result) => {
          if (done) return;
          if (result._tag === "Left") {
            subscriber.error(result.left);
            return;
          }
          subscriber.next({ type: "snapshot", ...result.right });
          watchAfter(result.right.revision);
        });
      };
      if (since === undefined) snapshotThenWatch();
      else watchAfter(since);
      return () => {
        done = true;
        cancel?.();
      };
    });

  return {
    scheme: "etcd",
    scheduler: asyncScheduler,
    layout: options.layout ?? kratosV1Layout(),
    faults$: faults.asObservable(),
    watch,
    // Not fromTaskEither: a grant that lands after its subscriber left (a registration ended while
    // etcd was slow) would be a lease kept alive by nobody's wish; it is revoked instead.
    grant: (ttlSeconds) =>
      new Observable<Lease>((subscriber) => {
        let wanted = true;
        void EtcdLease.grant(members, keepAlive, ttlSeconds, deadlineMs)().then((result) => {
          if (result._tag === "Left") {
            if (wanted) subscriber.error(result.left);
          } else if (wanted) {
            subscriber.next(result.right);
            subscriber.complete();
          } else {
            result.right.revoke().subscribe();
          }
        });
        return () => {
          wanted = false;
        };
      }),
    delete: (key) =>
      fromTaskEither(
        TE.tryCatch(
          async () => {
            const request = { key: Buffer.from(key) };
            await members.unary<IDeleteRangeResponse>(
              {
                service: "KV",
                method: "deleteRange",
                request,
                fallback: (o) => client.kv.deleteRange(request, o),
              },
              deadlineMs,
            );
          },
          etcdError("delete", key),
        ),
      ),
    close: async () => {
      // Core revoked every registration already; what is left must not keep the process alive.
      hub.close();
      keepAlive.close();
      faults.complete();
    },
  };
};
