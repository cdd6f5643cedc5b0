import * as E from "fp-ts/lib/Either.js";
import { instance, memoryNaming, type NamingError } from "rxnaming";
import { MemoryStore } from "rxnaming/testing";

// Two namings on one store stand for two processes on one etcd.
const store = new MemoryStore();
const before = memoryNaming({ store });
const after = memoryNaming({ store });

const me = instance({ appId: "demo.service", hostname: "host-1", addrs: ["grpc://127.0.0.1:9000"] });
if (E.isLeft(me)) throw me.left;

before.register(me.right).subscribe({
  next: (event) => console.log("before:", event.type, event.key),
  error: (error: NamingError) => console.log("before:", error._tag, error.message), // what retrying cannot cure
});

// The same appid and hostname again (a restarted process): the newest registration wins, and the
// one it displaced ends with a Duplicate error, without deleting the new owner's key.
const registration = after
  .register(me.right)
  .subscribe((event) => console.log("after:", event.type, event.key));

registration.unsubscribe(); // revokes the lease: the key is gone at once
await Promise.all([before.close(), after.close()]);
