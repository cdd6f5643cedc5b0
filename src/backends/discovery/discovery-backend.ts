import { asyncScheduler, defer, of, Subject, type Observable } from "rxjs";
import { backendError, type NamingError } from "../../model/index.js";
import type { Backend, Lease } from "../../port/index.js";
import type { BackoffOptions } from "../../shared/backoff.js";
import { CODE } from "./discovery-codes.js";
import { DiscoveryLease } from "./discovery-lease.js";
import { discoveryLayout } from "./discovery-layout.js";
import { Nodes } from "./discovery-nodes.js";
import { DiscoveryPoll } from "./discovery-poll.js";

/** Options of {@link discoveryBackend}; `discoveryNaming` checks and fills them in. */
export interface DiscoveryBackendOptions {
  readonly nodes: readonly string[];
  readonly zone: string;
  readonly env: string;
  readonly region: string;
  /** The client's hostname, which polls carry. */
  readonly host: string;
  readonly renewIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly pollHoldMs: number;
  readonly emptyCheckMs: number;
  readonly backoff?: BackoffOptions;
}

let pollers = 0;

/**
 * The discovery backend: the port over bilibili's discovery server (HTTP, long polls). Watches
 * are snapshots from one shared poll; leases are renew loops (docs/discovery.md#mapping).
 */
export const discoveryBackend = (options: DiscoveryBackendOptions): Backend => {
  const faults = new Subject<NamingError>();
  const report = (error: NamingError): void => faults.next(error);
  const nodes = new Nodes(options.nodes, report);
  // The server merges the polls of one hostname into one: each naming polls under its own.
  const pollHost = `${options.host}#${process.pid}.${++pollers}`;
  const poll = new DiscoveryPoll({
    nodes,
    env: options.env,
    pollHost,
    holdMs: options.pollHoldMs,
    emptyCheckMs: options.emptyCheckMs,
    requestTimeoutMs: options.requestTimeoutMs,
    report,
    ...(options.backoff && { backoff: options.backoff }),
  });
  let leases = 0;
  const leaseOptions = {
    nodes,
    zone: options.zone,
    env: options.env,
    region: options.region,
    renewIntervalMs: options.renewIntervalMs,
    requestTimeoutMs: options.requestTimeoutMs,
    report,
    ...(options.backoff && { backoff: options.backoff }),
  };
  const layout = discoveryLayout();

  return {
    scheme: "discovery",
    scheduler: asyncScheduler,
    layout,
    faults$: faults.asObservable(),
    watch: (prefix) => poll.watch(prefix.slice(0, -1)),
    grant: (): Observable<Lease> => of(new DiscoveryLease(`${pollHost}/${++leases}`, leaseOptions)),
    delete: (key) =>
      defer(async () => {
        const slash = key.lastIndexOf("/");
        const [appId, hostname] = [key.slice(0, slash), key.slice(slash + 1)];
        // Cancel needs the instance's zone: read it first.
        const found = await nodes.call({
          method: "GET",
          path: "fetchs",
          params: [
            ["appid", appId],
            ["env", options.env],
            ["status", "3"],
          ],
          deadlineMs: options.requestTimeoutMs,
        });
        const zones = (
          found.data as Record<string, { instances?: Record<string, { hostname?: unknown }[]> }>
        )?.[appId]?.instances;
        for (const [zone, list] of Object.entries(zones ?? {})) {
          if (!Array.isArray(list) || !list.some((i) => i?.hostname === hostname)) continue;
          const answer = await nodes.call({
            method: "POST",
            path: "cancel",
            params: [
              ["zone", zone],
              ["env", options.env],
              ["appid", appId],
              ["hostname", hostname],
            ],
            deadlineMs: options.requestTimeoutMs,
          });
          if (answer.code !== CODE.ok && answer.code !== CODE.nothingFound) {
            throw backendError("cancel", new Error(`answered code ${answer.code}`), { key });
          }
        }
      }),
    close: () => {
      poll.close();
      faults.complete();
      return Promise.resolve();
    },
  };
};
