// Arbitrary bytes as keys and values, through each layout's decoder and through the whole
// snapshot and watch path of the in-memory backend (store -> backend -> shared watch -> set):
// nothing throws, no good instance is lost, no key that is gone is listed, and every key under
// the app that is not listed is reported on errors$ (unless it belongs to a nested app).
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/backends/memory/index.js";
import { layoutNamed, layoutNames } from "../../src/backends/layouts/index.js";
import {
  instance,
  memoryNaming,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../../src/index.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });
const text = (bytes: Uint8Array): string => utf8.decode(bytes);

/** Bytes that look like something often enough to matter: JSON, key characters, or anything. */
const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.json({ maxDepth: 3 }).map((j) => new TextEncoder().encode(j)),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
  fc
    .integer({ min: 1, max: 6_000 })
    .map((d) => new TextEncoder().encode(`{"zone":${"[".repeat(d)}${"]".repeat(d)}}`)),
);

/** A valid instance of app "fuzz", numbered `n`: what the layout's own writers would store. */
const goodInstance = (n: number): Instance => {
  const i = instance({
    appId: "fuzz",
    hostname: String(100 + n),
    addrs: [`grpc://10.0.${n % 250}.1:9000`],
    metadata: { n: String(n) },
  });
  if (E.isLeft(i)) throw i.left;
  return i.right;
};

type Op =
  | { readonly type: "good"; readonly n: number }
  | { readonly type: "hostile"; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: "delete"; readonly pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constant("good" as const), n: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ type: fc.constant("hostile" as const), key: hostileBytes, value: hostileBytes }),
  fc.record({ type: fc.constant("delete" as const), pick: fc.nat() }),
);

describe.each(layoutNames)("%s layout under arbitrary bytes", (name) => {
  const layout = layoutNamed(name);
  const prefix = layout.appPrefix("fuzz");

  it("decodes any key and value to an instance or a Decode error naming the key, never a throw", () => {
    fc.assert(
      fc.property(hostileBytes, hostileBytes, (keyBytes, valueBytes) => {
        const key = `${prefix}${text(keyBytes)}`;
        const fit = layout.hostnameOf("fuzz", key);
        if (typeof fit !== "string") return;
        const decoded = layout.decode({ key, appId: "fuzz", hostname: fit }, text(valueBytes));
        if (E.isLeft(decoded)) {
          expect(decoded.left).toMatchObject({ _tag: "Decode", key });
          expect(decoded.left.message.length).toBeLessThan(1_000);
        } else expect(decoded.right).toMatchObject({ appId: "fuzz", hostname: fit });
      }),
      { numRuns: 300 },
    );
  });

  it("lists every good instance through snapshot and watch, reports every other key, lists no ghost", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.array(op, { maxLength: 12 }), (before, after) => {
        const store = new MemoryStore();
        const naming = memoryNaming({ store, layout: name, prefix: undefined, lingerMs: 0 });
        const errors: NamingError[] = [];
        const sets: InstancesInfo[] = [];
        const live = new Map<string, { value: string; good: boolean }>();
        const apply = (o: Op): void => {
          if (o.type === "good") {
            const i = goodInstance(o.n);
            const key = layout.keyOf(i, i.hostname);
            store.put(key, layout.encode(i));
            live.set(key, { value: layout.encode(i), good: true });
          } else if (o.type === "hostile") {
            const key = `${prefix}${text(o.key)}`;
            store.put(key, text(o.value));
            live.set(key, { value: text(o.value), good: false });
          } else {
            const keys = [...live.keys()];
            if (keys.length === 0) return;
            const key = keys[o.pick % keys.length]!;
            store.delete(key);
            live.delete(key);
          }
        };
        const errorsSub = naming.errors$.subscribe((e) => errors.push(e));
        try {
          before.forEach(apply); // read by the first snapshot
          const sub = naming.build("fuzz").instances$.subscribe({
            next: (s) => sets.push(s),
            error: (e: unknown) => {
              throw new Error(`instances$ errored: ${String(e)}`);
            },
          });
          after.forEach(apply); // arrive through the watch
          sub.unsubscribe();
          const listed = new Map((sets.at(-1)?.instances ?? []).map((i) => [layout.keyOf(i, i.hostname), i]));
          for (const [key, { good }] of live) {
            const quietlyElsewhere = (() => {
              const fit = layout.hostnameOf("fuzz", key);
              return typeof fit === "object" && fit._tag === "NestedApp";
            })();
            if (good) expect(listed.has(key), `good ${key} listed`).toBe(true);
            else if (!listed.has(key) && !quietlyElsewhere) {
              expect(
                errors.some((e) => e.key === key),
                `hostile ${JSON.stringify(key)} reported`,
              ).toBe(true);
            }
          }
          for (const key of listed.keys()) expect(live.has(key), `no ghost at ${key}`).toBe(true);
          for (const e of errors) expect(e._tag).toBe("Decode");
        } finally {
          errorsSub.unsubscribe();
          void naming.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
