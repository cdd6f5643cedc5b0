import * as E from "fp-ts/lib/Either.js";
import * as O from "fp-ts/lib/Option.js";
import { filter, firstValueFrom } from "rxjs";
import { instance, memoryNaming, p2c } from "rxnaming";
import { serveConsole } from "rxnaming/console";

const naming = memoryNaming(); // or etcdNaming(client), with fleet: etcdFleet(client) below

const me = instance({ appId: "shop.api", hostname: "api-1", addrs: ["grpc://127.0.0.1:9000"] });
if (E.isLeft(me)) throw me.left;
const registration = naming.register(me.right).subscribe();

// The console, in-process: the apps to show, on a free port (8080 when not given).
const ui = await serveConsole(naming, { port: 0, apps: ["shop.api"] });
console.log(`console at ${ui.url}`);

// The client's view: ui.view.track() after a balancer counts picks, errors and latency per instance.
const picker = await firstValueFrom(
  naming.build("shop.api").instances$.pipe(
    filter((set) => set.instances.length > 0),
    p2c(),
    ui.view.track(),
  ),
);
const pick = picker.pick();
if (O.isSome(pick)) pick.value.done({ latencyMs: 12 });
console.log(ui.view.all().map((use) => `${use.hostname}: ${use.picks} pick(s), ${use.latencyMs} ms`));

// The page is served from the package itself.
const page = await fetch(ui.url);
console.log(page.status, page.headers.get("content-type"));

registration.unsubscribe();
await ui.close();
await naming.close();
