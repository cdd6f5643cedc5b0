import { Etcd3 } from "etcd3";
import * as E from "fp-ts/lib/Either.js";
import { filter, firstValueFrom } from "rxjs";
import { etcdClientOptions, etcdNaming, instance } from "rxnaming";

// Your own client (install etcd3 beside rxnaming); etcdClientOptions adds what rxnaming's tests run with.
const endpoints = (process.env.ETCD_ENDPOINTS ?? "http://127.0.0.1:2379").split(",");
const client = new Etcd3(etcdClientOptions({ hosts: endpoints }));
const naming = etcdNaming(client, { ttlSeconds: 15 });

const me = instance({ appId: "demo.service", hostname: "host-2", addrs: ["http://127.0.0.1:8081"] });
if (E.isLeft(me)) throw me.left;
const registration = naming.register(me.right).subscribe((e) => console.log(e.type, e.key));
const listed = naming.build("demo.service").instances$.pipe(filter((i) => i.instances.length > 0));
console.log("listed", (await firstValueFrom(listed)).instances.length);

// Close the naming first (it cancels its watches and revokes its leases), then your client.
registration.unsubscribe();
await naming.close();
client.close();
