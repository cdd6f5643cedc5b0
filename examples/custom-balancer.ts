import * as O from "fp-ts/lib/Option.js";
import { filter, firstValueFrom } from "rxjs";
import { balancer, instance, memoryNaming, type BalancerEntry, type Picked, type Picker } from "rxnaming";

/** What the balancer keeps per instance: its pick, made once, and the turn it was last picked. */
interface Entry extends BalancerEntry {
  readonly pick: O.Option<Picked>;
  readonly last: { turn: number };
}

/** Least recently picked: every pick goes to the instance that has waited longest. */
const leastRecentlyPicked = () => {
  let turn = 0;
  return balancer<Entry>(
    {
      // Called for a new or changed instance only; `previous` carries its turn over.
      entry: (instance, previous, done) => ({
        instance,
        // `done`: each pick reports through it, and passive ejection learns from that.
        pick: O.some({ instance, addr: new URL(instance.addrs[0]!).host, done }),
        last: previous?.last ?? { turn: 0 },
      }),
      // Called for every set (ejected instances left out): a picker over its entries.
      picker: (entries) => ({
        pick: () => {
          let chosen = entries[0]!;
          for (const e of entries) if (e.last.turn < chosen.last.turn) chosen = e;
          chosen.last.turn = ++turn;
          return chosen.pick;
        },
      }),
    },
    { ejection: { consecutiveFailures: 3, baseEjectionMs: 30_000 } },
  );
};

const naming = memoryNaming();
for (const [hostname, port] of [
  ["a", 9001],
  ["b", 9002],
  ["c", 9003],
] as const) {
  const me = instance({ appId: "demo", hostname, addrs: [`grpc://127.0.0.1:${port}`] });
  if (me._tag === "Right") naming.register(me.right).subscribe();
}

const resolver = naming.build("demo");
let picker: Picker | undefined;
const subscription = resolver.instances$.pipe(leastRecentlyPicked()).subscribe((p) => (picker = p));
await firstValueFrom(resolver.instances$.pipe(filter((i) => i.instances.length === 3)));

const sixPicks = () =>
  Array.from({ length: 6 }, () => {
    const pick = picker!.pick();
    return O.isSome(pick) ? pick.value.instance.hostname : "-";
  }).join(" ");
console.log("picked:", sixPicks());

// Every call to "c" fails: after three in a row, the next picker leaves it out for 30 s.
for (let call = 0; call < 9; call++) {
  const pick = picker!.pick();
  if (O.isSome(pick))
    pick.value.done(pick.value.instance.hostname === "c" ? { error: new Error("down") } : {});
}
console.log("picked after c failed three times:", sixPicks());

subscription.unsubscribe();
await naming.close();
