import * as E from "fp-ts/lib/Either.js";
import { filter, firstValueFrom } from "rxjs";
import { discoveryNaming, instance } from "rxnaming";

// The cluster's nodes, tried in order; zone and env are this service's, as in Kratos v1.
const nodes = (process.env.DISCOVERY_NODES ?? "127.0.0.1:7171").split(",");
const naming = discoveryNaming({ nodes, zone: "sh001", env: "dev" });
naming.errors$.subscribe((e) => console.warn(e._tag, e.message));

const me = instance({ appId: "demo.service", hostname: "host-1", addrs: ["grpc://127.0.0.1:9000"] });
if (E.isLeft(me)) throw me.left;
const registration = naming.register(me.right).subscribe((e) => console.log(e.type, e.key)); // renewed every 30 s

// One long poll per naming, however many apps it watches.
const resolver = naming.build("demo.service");
const info = await firstValueFrom(resolver.instances$.pipe(filter((i) => i.instances.length > 0)));
console.log(
  "instances",
  info.instances.map((i) => `${i.hostname} ${i.zone}`),
);

registration.unsubscribe(); // cancelled at once
await naming.close(); // cancels every registration and aborts the poll
