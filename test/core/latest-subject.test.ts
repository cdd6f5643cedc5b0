import fc from "fast-check";
import { ReplaySubject, share, type SubjectLike, type Subscription } from "rxjs";
import { describe, expect, it } from "vitest";
import { LatestSubject } from "../../src/core/latest-subject.js";

/**
 * LatestSubject must behave as ReplaySubject(1) does, reentrant calls included: the same
 * operations, run on both, must produce the same log, in the same order.
 */
type Reaction =
  | { readonly kind: "next" }
  | { readonly kind: "subscribe" }
  | { readonly kind: "unsubscribe"; readonly k: number }
  | { readonly kind: "self" }
  | { readonly kind: "complete" };
type Op =
  | { readonly t: "subscribe"; readonly on?: { readonly value: number; readonly reaction: Reaction } }
  | { readonly t: "unsubscribe"; readonly k: number }
  | { readonly t: "next"; readonly v: number }
  | { readonly t: "complete" }
  | { readonly t: "error" };

const arbReaction: fc.Arbitrary<Reaction> = fc.oneof(
  fc.constant({ kind: "next" as const }),
  fc.constant({ kind: "subscribe" as const }),
  fc.nat(20).map((k) => ({ kind: "unsubscribe" as const, k })),
  fc.constant({ kind: "self" as const }),
  fc.constant({ kind: "complete" as const }),
);
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("subscribe" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("subscribe" as const),
      on: fc.record({ value: fc.nat(5), reaction: arbReaction }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("unsubscribe" as const), k: fc.nat(20) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("next" as const), v: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant({ t: "complete" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "error" as const }) },
);

/** Runs the operations on a subject and returns what every subscriber saw, in order. */
const play = (subject: SubjectLike<number>, ops: readonly Op[]): string[] => {
  const log: string[] = [];
  const subscriptions: Subscription[] = [];
  const subscribe = (on?: Extract<Op, { t: "subscribe" }>["on"]): void => {
    const id = subscriptions.length;
    const slot: { sub?: Subscription } = {};
    subscriptions.push(
      (slot.sub = subject.subscribe({
        next: (v) => {
          log.push(`${id}:${v}`);
          if (on === undefined || v !== on.value) return;
          const r = on.reaction;
          if (r.kind === "next") subject.next(v + 100);
          else if (r.kind === "subscribe") subscribe();
          else if (r.kind === "unsubscribe") subscriptions[r.k % subscriptions.length]?.unsubscribe();
          // During the replay, the subscription is not returned yet.
          else if (r.kind === "self") slot.sub?.unsubscribe();
          else subject.complete();
        },
        error: (e) => log.push(`${id}:error ${String(e)}`),
        complete: () => log.push(`${id}:complete`),
      }) as Subscription),
    );
  };
  for (const op of ops) {
    if (op.t === "subscribe") subscribe(op.on);
    else if (op.t === "unsubscribe") subscriptions[op.k % Math.max(1, subscriptions.length)]?.unsubscribe();
    else if (op.t === "next") subject.next(op.v);
    else if (op.t === "complete") subject.complete();
    else subject.error("boom");
  }
  return log;
};

describe("LatestSubject", () => {
  it("behaves as ReplaySubject(1), reentrant subscribers included (differential)", () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 40 }), (ops) => {
        expect(play(new LatestSubject<number>(), ops)).toEqual(play(new ReplaySubject<number>(1), ops));
      }),
      { numRuns: 2_000 },
    );
  });

  it("behaves as ReplaySubject(1) as the connector of share()", () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 30 }), (ops) => {
        const through = (connector: () => SubjectLike<number>) => {
          const source = new ReplaySubject<number>(1);
          const shared = share({ connector, resetOnRefCountZero: false })(source);
          const log: string[] = [];
          const subs: Subscription[] = [];
          for (const op of ops) {
            const id = subs.length;
            if (op.t === "subscribe")
              subs.push(
                shared.subscribe({
                  next: (v) => log.push(`${id}:${v}`),
                  complete: () => log.push(`${id}:complete`),
                  error: () => log.push(`${id}:error`),
                }),
              );
            else if (op.t === "unsubscribe") subs[op.k % Math.max(1, subs.length)]?.unsubscribe();
            else if (op.t === "next") source.next(op.v);
            else if (op.t === "complete") source.complete();
            else source.error("boom");
          }
          return log;
        };
        expect(through(() => new LatestSubject<number>())).toEqual(
          through(() => new ReplaySubject<number>(1)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("lets go of subscribers that left, without waiting for a value", () => {
    const subject = new LatestSubject<number>();
    subject.next(1);
    const kept = Array.from({ length: 10 }, () => subject.subscribe(() => undefined));
    for (let i = 0; i < 10_000; i++) subject.subscribe(() => undefined).unsubscribe();
    expect(subject.held).toBeLessThanOrEqual(2 * kept.length + 1);
    for (const s of kept) s.unsubscribe();
    expect(subject.held).toBeLessThanOrEqual(1);
  });

  it("gives a subscriber that joins during a delivery the value once, not twice", () => {
    const subject = new LatestSubject<number>();
    const late: number[] = [];
    subject.subscribe((v) => {
      if (v === 1) subject.subscribe((w) => late.push(w));
    });
    subject.next(1);
    subject.next(2);
    expect(late).toEqual([1, 2]);
  });

  it("forgets its subscribers when it ends, and ends the late ones after the latest value", () => {
    const subject = new LatestSubject<number>();
    for (let i = 0; i < 5; i++) subject.subscribe({ error: () => undefined });
    subject.next(7);
    subject.error(new Error("gone"));
    expect(subject.held).toBe(0);
    const seen: unknown[] = [];
    subject.subscribe({ next: (v) => seen.push(v), error: (e: Error) => seen.push(e.message) });
    expect(seen).toEqual([7, "gone"]);
    expect(subject.held).toBe(0);
  });
});
