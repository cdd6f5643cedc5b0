import { timer, type Observable, type SchedulerLike } from "rxjs";
import { backoffDelay, type BackoffOptions } from "../shared/backoff.js";

export { backoffDelay, type BackoffOptions };

/** The `delay` of RxJS' `retry`: reports the error, then waits the backoff on `scheduler`. */
export const retryDelay =
  <E>(scheduler: SchedulerLike, report: (error: E) => void, options?: BackoffOptions) =>
  (error: E, attempt: number): Observable<0> => {
    report(error);
    return timer(backoffDelay(options)(attempt), scheduler);
  };
