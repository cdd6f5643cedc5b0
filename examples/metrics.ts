// OpenTelemetry metrics of a naming and a balancer, printed by the SDK's console exporter.
import { metrics } from "@opentelemetry/api";
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import * as E from "fp-ts/lib/Either.js";
import * as O from "fp-ts/lib/Option.js";
import { firstValueFrom, filter } from "rxjs";
import { instance, instrumentNaming, memoryNaming, p2c, trafficMetrics } from "rxnaming";

// The application registers an SDK first (any exporter: OTLP, Prometheus, the console here).
const provider = new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter() })],
});
metrics.setGlobalMeterProvider(provider);

// A naming's events: resolver updates, instances per app, reconnects, re-reads, leases.
const naming = memoryNaming(); // or etcdNaming(...): the same for every backend
const namingMetrics = instrumentNaming(naming); // the global MeterProvider; or { meterProvider }

const me = instance({ appId: "users.service", hostname: "users-1", addrs: ["grpc://127.0.0.1:9000"] });
if (E.isLeft(me)) throw me.left;
const registration = naming.register(me.right).subscribe();

// A balancer's picks, calls and ejections: its onEvent into the balancer, its picks after it.
const traffic = trafficMetrics({ endpoint: true }); // one per balancer
const picker = await firstValueFrom(
  naming.build("users.service").instances$.pipe(
    filter((info) => info.instances.length > 0),
    p2c({ ejection: { onEvent: traffic.onEvent } }),
    traffic.picks,
  ),
);
const pick = picker.pick();
if (O.isSome(pick)) pick.value.done({ latencyMs: 12 });

await provider.forceFlush(); // prints every instrument once
namingMetrics.stop();
registration.unsubscribe();
await naming.close();
await provider.shutdown();
