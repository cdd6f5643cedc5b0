import * as E from "fp-ts/lib/Either.js";
import type { TaskEither } from "fp-ts/lib/TaskEither.js";
import { defer, map, type Observable } from "rxjs";
import type { NamingError } from "../model/index.js";

/**
 * A TaskEither as a cold Observable of one value that errors with the Left. For backends whose
 * client speaks Promises: each subscription runs the task again, so `retry` retries it.
 */
export const fromTaskEither = <A>(task: TaskEither<NamingError, A>): Observable<A> =>
  defer(task).pipe(
    map(
      E.getOrElseW((error) => {
        throw error;
      }),
    ),
  );
