import { asyncScheduler, filter, firstValueFrom } from "rxjs";
import { instance, memoryNaming, roundRobin, type Picker } from "rxnaming";

const naming = memoryNaming();
for (const [hostname, port] of [
  ["a", 9001],
  ["b", 9002],
] as const) {
  const me = instance({ appId: "demo", hostname, addrs: [`grpc://127.0.0.1:${port}`] });
  if (me._tag === "Right") naming.register(me.right).subscribe();
}

const scheduler = asyncScheduler;
const balance = roundRobin({
  ejection: { consecutiveFailures: 5, baseEjectionMs: 30_000 }, // or false, or true / absent = defaults
  slowStartMs: 10_000, // 0 (default) = off
  scheduler, // default asyncScheduler; a TestScheduler makes it all virtual
});

// Every call to "a" fails: after five in a row, the next picker leaves it out for 30 s.
const pickers: Picker[] = [];
const subscription = naming
  .build("demo")
  .instances$.pipe(balance)
  .subscribe((p) => pickers.push(p));
await firstValueFrom(naming.build("demo").instances$.pipe(filter((i) => i.instances.length === 2)));
for (let call = 0; call < 10; call++) {
  const pick = pickers[pickers.length - 1]!.pick();
  if (pick._tag === "Some")
    pick.value.done(pick.value.instance.hostname === "a" ? { error: new Error("down") } : {});
}
const picked = new Set<string>();
for (let call = 0; call < 4; call++) {
  const pick = pickers[pickers.length - 1]!.pick();
  if (pick._tag === "Some") picked.add(pick.value.instance.hostname);
}
console.log("picked after the failures:", [...picked]);

subscription.unsubscribe();
await naming.close();
