/**
 * Scenario 4: N registrations in one process, then a quiet window in which etcd is watched for
 * writes. rxnaming: N `naming.register(instance)` subscriptions; raw: N `client.lease(ttl)` with
 * a put under each (what one writes by hand with `etcd3`). Both keep their leases alive with the
 * `etcd3` client's Lease (keep-alive every TTL/3, one LeaseKeepAlive stream per lease).
 */
import { Etcd3, type Lease } from "etcd3";
import type { Subscription } from "rxjs";
import { etcdClientOptions, etcdNaming, instance, type Instance } from "../../src/index.js";
import { metric, metrics, metricWhere, settledHeap } from "./child-support.js";
import {
  appPrefix,
  cpuMs,
  hostname,
  keyOf,
  sleep,
  valueOf,
  type RegistrationsParams,
  type RegistrationsResult,
} from "./fixtures.js";

const keepAliveStreams = (m: ReadonlyMap<string, number>): number =>
  metricWhere(m, "grpc_server_started_total", 'grpc_method="LeaseKeepAlive"') -
  metricWhere(m, "grpc_server_handled_total", 'grpc_method="LeaseKeepAlive"');

export const registrations = async (p: RegistrationsParams): Promise<RegistrationsResult> => {
  const isRx = p.variant === "rxnaming";
  const client = new Etcd3(isRx ? etcdClientOptions({ hosts: [p.endpoint] }) : { hosts: [p.endpoint] });
  await client.get("/warm-up").exec();
  const instances: Instance[] = [];
  for (let k = 0; k < p.registrations; k++) {
    const made = instance({
      appId: p.app,
      hostname: hostname(k),
      region: "region-1",
      zone: "zone-a",
      env: "prod",
      addrs: [`grpc://10.0.${(k >> 8) & 255}.${k & 255}:9000`],
      version: "v1",
      metadata: { weight: "10", cluster: "c1" },
    });
    if (made._tag === "Left") throw made.left;
    instances.push(made.right);
  }

  const streamsBefore = keepAliveStreams(await metrics(p.metricsUrl));
  const heap0 = await settledHeap();
  const t0 = performance.now();
  const naming = isRx ? etcdNaming(client, { ttlSeconds: p.ttlSeconds, lingerMs: 0 }) : undefined;
  const subscriptions: Subscription[] = [];
  const leases: Lease[] = [];
  // rxnaming: registrations lost and re-made, and what errors$ said (a loaded machine can starve
  // the keep-alives); the counts explain a window that was not quiet.
  let lost = 0;
  const errors: string[] = [];
  naming?.errors$.subscribe((e) => errors.push(e.message));
  if (naming !== undefined) {
    await new Promise<void>((resolve, reject) => {
      let pending = p.registrations;
      for (const i of instances) {
        let first = true;
        subscriptions.push(
          naming.register(i).subscribe({
            next: (e) => {
              if (e.type === "lost") lost++;
              if (e.type === "registered" && first) {
                first = false;
                if (--pending === 0) resolve();
              }
            },
            error: reject,
          }),
        );
      }
    });
  } else {
    await Promise.all(
      instances.map((_, k) => {
        const lease = client.lease(p.ttlSeconds);
        leases.push(lease);
        return lease.put(keyOf(p.app, k)).value(valueOf(p.app, k)).exec();
      }),
    );
  }
  const setupMs = performance.now() - t0;
  const heap1 = await settledHeap();

  // Let anything that follows registration settle, then watch etcd for the window.
  await sleep(1_000);
  const m0 = await metrics(p.metricsUrl);
  const c0 = process.cpuUsage();
  await sleep(p.windowMs);
  const clientCpuMs = cpuMs(c0);
  const m1 = await metrics(p.metricsUrl);
  const d = (name: string): number => metric(m1, name) - metric(m0, name);

  const tc = performance.now();
  if (naming !== undefined) {
    for (const s of subscriptions) s.unsubscribe();
    await naming.close();
  } else {
    await Promise.all(leases.map((l) => l.revoke()));
  }
  const closeMs = performance.now() - tc;
  const keysLeft = Number(await client.getAll().prefix(appPrefix(p.app)).count());
  client.close();

  return {
    variant: p.variant,
    registrations: p.registrations,
    setupMs,
    windowMs: p.windowMs,
    revisionDelta: d("etcd_debugging_mvcc_current_revision"),
    putDelta: d("etcd_mvcc_put_total"),
    deleteDelta: d("etcd_mvcc_delete_total"),
    txnDelta: d("etcd_mvcc_txn_total"),
    putBytesDelta: d("etcd_debugging_mvcc_total_put_size_in_bytes"),
    leaseRenewedDelta: d("etcd_debugging_lease_renewed_total"),
    keepAliveMessagesDelta:
      metricWhere(m1, "grpc_server_msg_received_total", 'grpc_method="LeaseKeepAlive"') -
      metricWhere(m0, "grpc_server_msg_received_total", 'grpc_method="LeaseKeepAlive"'),
    keepAliveStreams: keepAliveStreams(m1) - streamsBefore,
    clientCpuMs,
    heapBytes: (heap1 - heap0) / p.registrations,
    closeMs,
    keysLeft,
    ...(isRx && { lost, errors: errors.length }),
    ...(errors[0] !== undefined && { firstError: errors[0].slice(0, 160) }),
  };
};
