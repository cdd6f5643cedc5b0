import type * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";

/**
 * A `TaskEither` that can also be awaited: `await resolver.fetch()` gives the `Either`, as
 * `await resolver.fetch()()` does. Without it, awaiting the task itself (an easy slip for anyone
 * new to fp-ts) quietly gives back the function instead of the instances.
 */
export type AwaitableTask<L, R> = TE.TaskEither<L, R> & PromiseLike<E.Either<L, R>>;

/** Makes `task` awaitable; each `await` (each `then`) runs it once, as each call does. */
export const awaitableTask = <L, R>(task: TE.TaskEither<L, R>): AwaitableTask<L, R> =>
  Object.assign(() => task(), {
    then: <A = E.Either<L, R>, B = never>(
      onFulfilled?: ((value: E.Either<L, R>) => A | PromiseLike<A>) | null,
      onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): PromiseLike<A | B> => task().then(onFulfilled, onRejected),
  });
