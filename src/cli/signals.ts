import { fromEvent, map, merge, take, type Observable } from "rxjs";

/**
 * The first SIGINT or SIGTERM, as an Observable. While subscribed, the signal does not kill the
 * process (Node's default), so the command can deregister and say goodbye first.
 */
export const stopSignal$: Observable<NodeJS.Signals> = merge(
  fromEvent(process, "SIGINT").pipe(map((): NodeJS.Signals => "SIGINT")),
  fromEvent(process, "SIGTERM").pipe(map((): NodeJS.Signals => "SIGTERM")),
).pipe(take(1));
