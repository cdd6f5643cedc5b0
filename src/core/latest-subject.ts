import { Observable, type Subscriber, type SubjectLike, type Unsubscribable } from "rxjs";

/**
 * A `ReplaySubject(1)` made for fan-out to thousands of subscribers: the multicast of every app's
 * shared watch, and the connector of a resolver's pipeline (`share({ connector: () => new LatestSubject() })`).
 *
 * Why not `ReplaySubject(1)`: on Node, RxJS runs its ES5 build, where `Subject.next` walks its
 * observers with a downlevelled iterator inside a closure, and every subscriber costs a
 * `Subscription` and a closure whose removal is an O(n) `indexOf` (unsubscribing n subscribers
 * is O(n²)). Here a put reaches the subscribers in a plain indexed loop, and every subscriber
 * shares one finalizer: a leaving subscriber is already `closed`, so it is skipped at once and
 * swept out of the array, in one pass, once half of the array has left (O(1) amortized).
 *
 * Semantics are ReplaySubject(1)'s: a subscriber gets the latest value at once, then every later
 * one, in subscription order; after `error` or `complete` a subscriber gets the latest value and
 * then the end. Subscribers joining while a value is being delivered do not get it twice: the
 * array is copied, never changed, while a delivery is in progress.
 */
export class LatestSubject<T> extends Observable<T> implements SubjectLike<T> {
  private subscribers: Subscriber<T>[] = [];
  /** How many deliveries are in progress (a subscriber may cause the next one). */
  private delivering = 0;
  /** Subscribers closed since the last sweep; each is still in the array. */
  private left = 0;
  private hasValue = false;
  private latest: T | undefined;
  private end: { readonly error: unknown } | "complete" | undefined;
  // One finalizer for every subscriber: allocating one per subscriber is what this class avoids.
  private readonly leave: Unsubscribable = {
    unsubscribe: () => {
      if (++this.left * 2 > this.subscribers.length) this.sweep();
    },
  };

  constructor() {
    super((subscriber) => {
      // Joined before the replay, as ReplaySubject does: a value the replay itself causes reaches
      // it. One that joins after the end is ended below, so it leaves at once.
      if (this.delivering > 0) this.subscribers = [...this.subscribers, subscriber];
      else this.subscribers.push(subscriber);
      if (this.hasValue) subscriber.next(this.latest as T);
      if (this.end === "complete") subscriber.complete();
      else if (this.end !== undefined) subscriber.error(this.end.error);
      return this.leave;
    });
  }

  /** Subscribers held: those subscribed, and those gone but not swept yet (at most as many). */
  get held(): number {
    return this.subscribers.length;
  }

  next(value: T): void {
    if (this.end !== undefined) return;
    this.latest = value;
    this.hasValue = true;
    const subscribers = this.subscribers;
    this.delivering++;
    try {
      // A subscriber that left is closed, and ignores the value.
      for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(value);
    } finally {
      this.delivering--;
    }
  }

  error(error: unknown): void {
    this.finish({ error });
  }

  complete(): void {
    this.finish("complete");
  }

  private finish(end: NonNullable<LatestSubject<T>["end"]>): void {
    if (this.end !== undefined) return;
    this.end = end;
    const subscribers = this.subscribers;
    this.subscribers = [];
    this.left = 0;
    for (const s of subscribers) {
      if (end === "complete") s.complete();
      else s.error(end.error);
    }
  }

  private sweep(): void {
    // A new array, never the one a delivery in progress walks.
    this.subscribers = this.subscribers.filter((s) => !s.closed);
    this.left = 0;
  }
}
