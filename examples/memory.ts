import * as E from "fp-ts/lib/Either.js";
import * as O from "fp-ts/lib/Option.js";
import { firstValueFrom } from "rxjs";
import { instance, memoryNaming, roundRobin } from "rxnaming";

const naming = memoryNaming(); // the embedded in-memory backend: no etcd needed

// instance() fills in the defaults and validates: a Left is a NamingError naming the field.
const me = instance({ appId: "demo.service", hostname: "host-1", addrs: ["grpc://127.0.0.1:9000"] });
if (E.isLeft(me)) throw me.left;

// Register: the instance stays registered while subscribed.
const registration = naming.register(me.right).subscribe((event) => console.log(event.type, event.key));

// Discover: one shared watch per app, however many consumers; late ones get the latest set at once.
const resolver = naming.build("demo.service");
resolver.instances$.subscribe((info) =>
  console.log(
    "instances",
    info.instances.map((i) => i.hostname),
  ),
);

// Fetch the current set once: awaited, fetch() gives an Either (a Left says why there is none).
const fetched = await resolver.fetch();
if (E.isRight(fetched)) console.log("fetched", fetched.right.instances.length);

// Balance: a new picker for every set. pick() is an Option: none when there is no instance.
const picker = await firstValueFrom(resolver.instances$.pipe(roundRobin()));
const pick = picker.pick();
console.log(O.isSome(pick) ? `picked ${pick.value.addr}` : "no instance");

registration.unsubscribe(); // deletes the key at once
await naming.close();
