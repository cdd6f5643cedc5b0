/**
 * Settles with `promise`, or rejects after `ms` with an error naming `operation`. A backend call
 * needs its own deadline: neither client times out a call to a member that never answers
 * (docs/etcd.md#calls-without-deadlines, docs/zookeeper.md#calls-queue-while-disconnected). The
 * timer never keeps the process alive; a late answer is ignored.
 */
export const withDeadline = <A>(operation: string, ms: number, promise: Promise<A>): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${operation} got no answer within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
