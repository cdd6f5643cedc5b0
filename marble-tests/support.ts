import { Observable } from "rxjs";
import type { TestScheduler } from "rxjs/testing";
import { memoryBackend, MemoryLink, MemoryStore } from "../src/backends/memory/index.js";
import { createNaming } from "../src/core/index.js";
import { encodeInstance, type Instance, type InstanceInput } from "../src/model/index.js";
import { inst } from "../test/fixtures.js";
import type { Naming } from "../src/naming.js";
import { buildOptions, type BuildOptions } from "../src/operators/build-options.js";
import type { Backend } from "../src/port/index.js";

export { inst, testScheduler } from "../test/fixtures.js";

export const keyOf = (hostname: string, appId = "demo"): string => `/kratos_etcd/${appId}/${hostname}`;
export const valueOf = (hostname: string, extra: InstanceInput = {}): string =>
  encodeInstance(inst(hostname, extra));

export interface SubscriptionLogEntry {
  subscribedFrame: number;
  unsubscribedFrame: number;
}

/**
 * A memory backend whose watches are logged as TestScheduler subscription logs, so that a test
 * can assert the backend's subscription marbles with `expectSubscriptions`.
 */
export const trackedBackend = (
  scheduler: TestScheduler,
  store: MemoryStore,
  link?: MemoryLink,
): { backend: Backend; watches: SubscriptionLogEntry[] } => {
  const inner = memoryBackend({ store, ...(link && { link }) });
  const watches: SubscriptionLogEntry[] = [];
  const backend: Backend = {
    ...inner,
    watch: (prefix, since) =>
      new Observable((subscriber) => {
        const log = { subscribedFrame: scheduler.now(), unsubscribedFrame: Infinity };
        watches.push(log);
        const sub = inner.watch(prefix, since).subscribe(subscriber);
        return () => {
          log.unsubscribedFrame = scheduler.now();
          sub.unsubscribe();
        };
      }),
  };
  return { backend, watches };
};

export interface World {
  readonly store: MemoryStore;
  readonly naming: Naming;
  readonly watches: SubscriptionLogEntry[];
  readonly link: MemoryLink;
}

/** A store, a naming on it (through a tracked backend) and the log of its backend watches. */
export const world = (
  scheduler: TestScheduler,
  options: { lingerMs?: number; ttlSeconds?: number; store?: MemoryStore } = {},
): World => {
  const store = options.store ?? new MemoryStore({ scheduler });
  const link = new MemoryLink();
  const { backend, watches } = trackedBackend(scheduler, store, link);
  const naming = createNaming<BuildOptions>(backend, {
    pipeline: buildOptions,
    lingerMs: options.lingerMs ?? 0,
    ttlSeconds: options.ttlSeconds ?? 3,
    backoff: { initialMs: 1, maxMs: 1 },
  });
  return { store, naming, watches, link };
};

/** The hostnames of a set, for compact marble values. */
export const hosts = (info: { instances: readonly Instance[] }): string =>
  info.instances.map((i) => i.hostname).join(",");
