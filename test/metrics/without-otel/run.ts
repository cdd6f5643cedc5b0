// Runs with "@opentelemetry/api" unresolvable: discovery, balancing and the metrics calls must all work.
import { createRequire } from "node:module";
import * as O from "fp-ts/lib/Option.js";
import { firstValueFrom, filter } from "rxjs";
import {
  instance,
  instrumentNaming,
  memoryNaming,
  meterPicks,
  p2c,
  trafficMetrics,
} from "../../../src/index.js";

let blocked = false;
try {
  createRequire(import.meta.url)("@opentelemetry/api");
} catch {
  blocked = true;
}
const naming = memoryNaming();
const metrics = instrumentNaming(naming);
const traffic = trafficMetrics();
const i = instance({ appId: "demo", hostname: "h1", addrs: ["grpc://127.0.0.1:9000"] });
if (i._tag === "Left") throw i.left;
const registration = naming.register(i.right).subscribe();
const picker = await firstValueFrom(
  naming.build("demo").instances$.pipe(
    filter((info) => info.instances.length === 1),
    p2c({ ejection: { onEvent: traffic.onEvent } }),
    traffic.picks,
    meterPicks(),
  ),
);
const pick = picker.pick();
if (O.isSome(pick)) pick.value.done({ latencyMs: 1 });
metrics.stop();
registration.unsubscribe();
await naming.close();
console.log(
  JSON.stringify({
    blocked,
    recording: metrics.recording,
    traffic: traffic.recording,
    picked: O.isSome(pick) ? pick.value.addr : null,
  }),
);
