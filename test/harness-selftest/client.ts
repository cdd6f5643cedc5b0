import { Etcd3, type IOptions } from "etcd3";

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;

// No retries and no circuit breaker: these tests want the client's first failure after a cut, and its
// first success after a restore, not the default breaker's 5 s of BrokenCircuitError (docs/etcd.md#cancelled-watches-trip-the-circuit-breaker).
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy;

/** An etcd3 client that fails fast: unary calls have a deadline, faults are not retried. */
export function testClient(options: IOptions, deadlineMs = 2000): Etcd3 {
  return new Etcd3({
    ...options,
    faultHandling: { host: () => passThrough, global: passThrough },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + deadlineMs }),
  });
}
