import * as TE from "fp-ts/lib/TaskEither.js";
import type { Etcd3, IDeleteRangeResponse } from "etcd3";
import { asyncScheduler, lastValueFrom, Observable, Subject } from "rxjs";
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
import { Probe, withProbe } from "../../metrics/probe.js";
import { etcdError } from "./etcd-errors.js";
import { checkEtcd3Client } from "./etcd3-internals.js";
import { EtcdLease, type EtcdLeaseContext } from "./etcd-lease.js";
import { KeepAliveHub } from "./keepalive-hub.js";
import { Limiter } from "./limiter.js";
import { Members } from "./members.js";
import { OwnershipWatch } from "./ownership-watch.js";
import { PrefixFeeds } from "./prefix-feed.js";
import { prefixEnd } from "./prefix-end.js";
import { PrefixWatch, type PrefixWatchContext } from "./prefix-watch.js";
import { decodeRangePage, rangePageOf, readRange, type PageReader, type RangePage } from "./range-page.js";
import { WatchHub, type WatchHubOptions } from "./watch-hub.js";

/** Range reads in flight at once per backend. */
const RANGES_IN_FLIGHT = 16;

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
  const unsupported = checkEtcd3Client(client);
  if (unsupported !== undefined) throw unsupported;
  const deadlineMs = options.requestTimeoutMs ?? 5_000;
  // One view of which members are hung or unreachable, for every call and both streams; and the
  // calls go to the members directly, whatever the client's own fault policy (see Members).
  const members = new Members(client);
  const faults = new Subject<NamingError>();
  const fault = (error: NamingError): void => faults.next(error);
  const probe = new Probe();
  // Made on the first grant: a naming that only watches never loads or keeps it.
  let keepAliveHub: KeepAliveHub | undefined;
  // Lease grants not answered yet (and the revokes of those that landed unwanted): close() waits.
  const granting = new Set<Promise<void>>();
  let closing = false;
  const keepAlive = (): KeepAliveHub => (keepAliveHub ??= new KeepAliveHub({ members, fault, probe }));
  // A gateway that starts watching 1,000 apps at once must not send 1,000 full reads at once: they
  // would time each other out under load. A few at a time, the rest queued (their own deadlines
  // start when they are sent).
  const firstRanges = new Limiter(RANGES_IN_FLIGHT);

  const rangePage: PageReader = (key, end, limit, revision, keysOnly) => {
    const request = {
      key,
      range_end: end,
      limit,
      ...(revision !== undefined && { revision }),
      ...(keysOnly === true && { keys_only: true }),
    };
    return members.unary<RangePage>(
      {
        service: "KV",
        method: "range",
        request,
        deserialize: decodeRangePage,
        fallback: (o) => client.kv.range(request, o).then(rangePageOf),
      },
      deadlineMs,
    );
  };
  const range = (
    prefix: string,
  ): TE.TaskEither<NamingError, { revision: Revision; entries: KeyValue[]; badKeys: NamingError[] }> =>
    TE.tryCatch(() => {
      const start = Buffer.from(prefix);
      return firstRanges.run(() => readRange(rangePage, start, prefixEnd(start)));
    }, etcdError("range"));

  const hub = new WatchHub(
    {
      members,
      fault,
      probe,
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

  // An app's discovery watch and its registrations' ownership watch share one etcd watcher.
  const feeds = new PrefixFeeds(hub);
  // Made on the first grant, as the keep-alive hub.
  let ownership: OwnershipWatch | undefined;
  const leaseContext = (): EtcdLeaseContext => ({
    members,
    keepAlive: keepAlive(),
    ownership: (ownership ??= new OwnershipWatch(feeds, members, deadlineMs)),
    deadlineMs,
  });

  const prefixWatch: PrefixWatchContext = { feeds, range, probe };
  const watch = (prefix: string, since?: Revision): Observable<WatchMessage> =>
    new Observable<WatchMessage>((subscriber) => {
      const w = new PrefixWatch(subscriber, prefixWatch, prefix);
      w.start(since);
      return w;
    });

  return withProbe<Backend>(
    {
      scheme: "etcd",
      scheduler: asyncScheduler,
      layout: options.layout ?? kratosV1Layout(),
      faults$: faults.asObservable(),
      watch,
      // Not fromTaskEither: a grant that lands after its subscriber left (a registration ended while
      // etcd was slow, or at once) would be a lease kept alive by nobody's wish; it is revoked instead,
      // and close() waits for that. See docs/registration.md#close-and-revoke.
      grant: (ttlSeconds) =>
        new Observable<Lease>((subscriber) => {
          let wanted = true;
          const landed = EtcdLease.grant(leaseContext(), ttlSeconds)().then(async (result) => {
            if (result._tag === "Left") {
              if (wanted) subscriber.error(result.left);
            } else if (wanted && !closing) {
              subscriber.next(result.right);
              subscriber.complete();
            } else {
              await lastValueFrom(result.right.revoke(), { defaultValue: undefined });
            }
          });
          granting.add(landed);
          void landed.finally(() => granting.delete(landed));
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
        // Core revoked every registration already; grants still in flight are revoked as they land
        // (each within its deadline), and then nothing left may keep the process alive.
        closing = true;
        await Promise.all([...granting]);
        ownership?.closeAll();
        hub.close();
        keepAliveHub?.close();
        faults.complete();
      },
    },
    probe,
  );
};
