import * as E from "fp-ts/lib/Either.js";
import { filter, firstValueFrom } from "rxjs";
import { etcdNaming, instance } from "rxnaming";

// Given client options, the naming makes its own etcd3 client and closes it in close().
const endpoints = (process.env.ETCD_ENDPOINTS ?? "http://127.0.0.1:2379").split(",");
const naming = etcdNaming({ hosts: endpoints }, { ttlSeconds: 30 }); // keys /kratos_etcd/<appid>/<hostname>
naming.errors$.subscribe((e) => console.warn(e._tag, e.message)); // undecodable values, faults, lost leases

const me = instance({
  appId: "demo.service",
  hostname: "host-1",
  zone: "sh001",
  addrs: ["http://127.0.0.1:8080"],
});
if (E.isLeft(me)) throw me.left;
const registration = naming.register(me.right).subscribe((e) => console.log(e.type, e.key));

// Wait until our own instance is listed.
const resolver = naming.build("demo.service");
const info = await firstValueFrom(resolver.instances$.pipe(filter((i) => i.instances.length > 0)));
console.log(
  "revision",
  info.revision,
  "instances",
  info.instances.map((i) => i.hostname),
);

registration.unsubscribe(); // revokes the lease: the key is gone at once, not after the TTL
await naming.close(); // ends every watch and registration, then closes the client it made
