import * as grpc from "@grpc/grpc-js";
import * as E from "fp-ts/lib/Either.js";
import { hostname } from "node:os";
import { etcdNaming, instance } from "rxnaming";
import { EchoService, type EchoReply, type EchoRequest } from "./echo-service.js";

const naming = etcdNaming({ hosts: (process.env.ETCD_ENDPOINTS ?? "http://127.0.0.1:2379").split(",") });
naming.errors$.subscribe((e) => console.warn(e._tag, e.message));

// Bind to the address that clients reach this host at, and register exactly that address.
const host = process.env.HOST_IP ?? "127.0.0.1";
const server = new grpc.Server();
const name = `${hostname()}-${process.pid}`; // one hostname per process: two servers on one machine must differ
server.addService(EchoService, {
  echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, reply: grpc.sendUnaryData<EchoReply>) =>
    reply(null, { message: call.request.message, from: name }),
});
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (e, p) =>
    e ? reject(e) : resolve(p),
  ),
);

const me = instance({ appId: "demo.echo", hostname: name, addrs: [`grpc://${host}:${port}`] });
if (E.isLeft(me)) throw me.left;

const stop = async (): Promise<void> => {
  registration.unsubscribe(); // deregister first: clients stop picking this server at once
  await naming.close();
  server.tryShutdown(() => undefined); // then let calls in flight finish
};
const registration = naming.register(me.right).subscribe({
  next: (e) => console.log(e.type, e.key),
  error: (e: Error) => {
    console.error(e.message); // e.g. Duplicate: another process took this hostname over
    process.exitCode = 1;
    void stop();
  },
});
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
