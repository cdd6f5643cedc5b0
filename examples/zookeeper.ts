import * as E from "fp-ts/lib/Either.js";
import { filter, firstValueFrom } from "rxjs";
import { instance, zookeeperNaming } from "rxnaming";

// The naming owns its ZooKeeper client: an expired session needs a new one.
const servers = process.env.ZOOKEEPER_SERVERS ?? "127.0.0.1:2181";
const naming = zookeeperNaming({ servers, sessionTimeoutMs: 10_000 }); // nodes /kratos/<appid>/<hostname>
naming.errors$.subscribe((e) => console.warn(e._tag, e.message));

const me = instance({ appId: "demo.service", hostname: "host-1", addrs: ["http://127.0.0.1:8080"] });
if (E.isLeft(me)) throw me.left;
const registration = naming.register(me.right).subscribe((e) => console.log(e.type, e.key)); // an EPHEMERAL node

const resolver = naming.build("demo.service");
const info = await firstValueFrom(resolver.instances$.pipe(filter((i) => i.instances.length > 0)));
console.log(
  "instances",
  info.instances.map((i) => i.hostname),
);

registration.unsubscribe(); // the node is deleted at once
await naming.close(); // closes the session
