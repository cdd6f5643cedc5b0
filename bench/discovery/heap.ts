/**
 * Scenario 6, the heap part: one app with 100,000 instances, held by one consumer. map: a range
 * read into a `Map` of the parsed values (key -> `JSON.parse(value)`), the response dropped;
 * rxnaming: one subscriber of `build(app).instances$` that keeps the latest `InstancesInfo` and
 * has read `info.instances` once (as every balancer does), with the naming's watch open. The heap
 * is weighed after a full GC before the read (client connected) and after it, with the set held.
 */
import { Etcd3 } from "etcd3";
import type { Subscription } from "rxjs";
import { etcdClientOptions, etcdNaming, type InstancesInfo, type Naming } from "../../src/index.js";
import { settledHeap } from "./child-support.js";
import { appPrefix, type HeapParams, type HeapResult } from "./fixtures.js";

export const heap = async (p: HeapParams): Promise<HeapResult> => {
  const grpcOptions = { "grpc.max_receive_message_length": p.maxReceiveBytes };
  const client = new Etcd3(
    p.variant === "map"
      ? { hosts: [p.endpoint], grpcOptions }
      : etcdClientOptions({ hosts: [p.endpoint], grpcOptions }),
  );
  await client.get("/warm-up").exec();

  let map: Map<string, unknown> | undefined;
  let info: InstancesInfo | undefined;
  let naming: Naming | undefined;
  let subscription: Subscription | undefined;
  const heap0 = await settledHeap();
  const t0 = performance.now();
  if (p.variant === "map") {
    map = new Map<string, unknown>();
    const res = await client.getAll().prefix(appPrefix(p.app)).exec();
    for (const kv of res.kvs) map.set(kv.key.toString(), JSON.parse(kv.value.toString()));
  } else {
    // A long first range under load: these deadlines are the bench's, not what is measured.
    const n = etcdNaming(client, { lingerMs: 0, requestTimeoutMs: 60_000, fetchTimeoutMs: 60_000 });
    naming = n;
    info = await new Promise<InstancesInfo>((resolve, reject) => {
      subscription = n.build(p.app).instances$.subscribe({ next: resolve, error: reject });
    });
  }
  if ((map?.size ?? info?.instances.length) === 0) throw new Error("empty set"); // reads the flat array once
  const loadMs = performance.now() - t0;
  const heap1 = await settledHeap();

  // Read after the weighing: a variable an async function no longer needs is not kept across an
  // await, and the set would be collected before it was weighed.
  const size = map?.size ?? info?.instances.length ?? 0;
  if (size !== p.instances) throw new Error(`${p.variant} holds ${size} instances, not ${p.instances}`);
  subscription?.unsubscribe();
  await naming?.close();
  client.close();
  return {
    variant: p.variant,
    instances: p.instances,
    heapBytes: heap1 - heap0,
    loadMs,
    ...(p.variant === "rxnaming" && { withDefaults: await withDefaultOptions(p) }),
  };
};

/**
 * What a user gets with `etcdClientOptions()` as it is (grpc-js's 4 MB limit on a received
 * message): the first set within 10 s, or the first error rxnaming reported.
 */
const withDefaultOptions = async (p: HeapParams): Promise<string> => {
  const client = new Etcd3(etcdClientOptions({ hosts: [p.endpoint] }));
  const naming = etcdNaming(client, { lingerMs: 0, fetchTimeoutMs: 10_000 });
  let firstError: string | undefined;
  const errors = naming.errors$.subscribe((e) => (firstError ??= e.message));
  const result = await naming.build(p.app).fetch()();
  errors.unsubscribe();
  await naming.close();
  client.close();
  if (result._tag === "Right") return `first set of ${result.right.instances.length} instances`;
  return `no set: ${(firstError ?? result.left.message).slice(0, 160)}`;
};
