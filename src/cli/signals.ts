import { fromEvent, map, merge, ReplaySubject, take, type Observable } from "rxjs";

/** Why a command stops: a signal, or its output closed under it. */
export type StopReason = NodeJS.Signals | "closed output";

const outputClosed = new ReplaySubject<StopReason>(1);

/**
 * Makes a closed stdout (the reader of a pipe went away: `rxnaming watch a | head -1`) a reason to
 * stop, rather than an unhandled EPIPE with a stack. Node reports it at the next write, so that
 * is when the command ends. Called once, by the program's entry.
 */
export const stopOnClosedOutput = (stream: NodeJS.WriteStream = process.stdout): void => {
  stream.on("error", () => outputClosed.next("closed output"));
};

/**
 * The first SIGINT or SIGTERM, or a closed stdout, as an Observable. While subscribed, the signal
 * does not kill the process (Node's default), so the command can deregister and say goodbye first.
 */
export const stopSignal$: Observable<StopReason> = merge(
  fromEvent(process, "SIGINT").pipe(map((): StopReason => "SIGINT")),
  fromEvent(process, "SIGTERM").pipe(map((): StopReason => "SIGTERM")),
  outputClosed,
).pipe(take(1));
