import * as grpc from "@grpc/grpc-js";
import { etcdNaming, registerGrpcResolver } from "rxnaming";
import { echo, EchoClient } from "./echo-service.js";

const naming = etcdNaming({ hosts: (process.env.ETCD_ENDPOINTS ?? "http://127.0.0.1:2379").split(",") });

// Once per naming: grpc-js then resolves etcd:///<appid> targets through it, live.
const { errors$ } = await registerGrpcResolver(naming);
errors$.subscribe((e) => console.warn(e.message)); // e.g. an instance without a grpc:// address

const client = new EchoClient("etcd:///demo.echo", grpc.credentials.createInsecure(), {
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ rxnaming_p2c: {} }] }),
});
for (const message of ["hello", "world"]) {
  const reply = await echo(client, message);
  console.log(reply.message, "from", reply.from);
}

client.close();
await naming.close();
