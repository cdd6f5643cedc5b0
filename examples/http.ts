import * as E from "fp-ts/lib/Either.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { instance, memoryNaming } from "rxnaming";
import { namingInterceptor } from "rxnaming/undici";
import { Agent, fetch } from "undici";

const naming = memoryNaming(); // or etcdNaming(...): the same for every backend

// A server registers its http:// address under its appid.
const server = createServer((_req, res) => res.end("hello from users"));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;
const me = instance({ appId: "users.service", hostname: "users-1", addrs: [`http://127.0.0.1:${port}`] });
if (E.isLeft(me)) throw me.left;
const registration = naming.register(me.right).subscribe();

// A client calls it by name: the interceptor picks an instance (p2c) and learns from every response.
const interceptor = namingInterceptor(naming, { balancer: "p2c" });
const dispatcher = new Agent().compose(interceptor);
const res = await fetch("http://users.service/users/1", { dispatcher });
console.log(res.status, await res.text());

await interceptor.close();
await dispatcher.close();
registration.unsubscribe();
await naming.close();
server.close();
