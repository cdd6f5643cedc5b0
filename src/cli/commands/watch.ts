import { Command } from "commander";
import {
  concatMap,
  filter,
  from,
  lastValueFrom,
  switchMap,
  take,
  takeUntil,
  tap,
  timer,
  type Observable,
} from "rxjs";
import { instanceChanges, isNamingError, type InstancesInfo, type NamingError } from "../../index.js";
import { checkAppId } from "../app-id.js";
import { withConnectionOptions, type ConnectionOptions } from "../connection-options.js";
import { ErrorLines } from "../error-lines.js";
import type { NamingConnection } from "../naming-connection.js";
import { namingFromOptions } from "../naming-from-options.js";
import { terminalOf } from "../render/terminal.js";
import { jsonWatchView, liveWatchView, lineWatchView } from "../render/watch-view.js";
import { stopSignal$ } from "../signals.js";

interface WatchOptions extends ConnectionOptions {
  readonly json?: boolean;
}

/** A fault of the backend itself, as opposed to a bad value in it (which the store did send). */
const isOutage = (e: NamingError): boolean => !isNamingError(e) || e._tag === "Backend";

/**
 * When the backend is back after a fault: a second without a new fault, and the backend answers.
 * Each new fault starts the wait again.
 */
const recoveries = (connection: NamingConnection): Observable<unknown> =>
  connection.naming.errors$.pipe(
    filter(isOutage),
    switchMap(() =>
      timer(1_000, 1_000).pipe(
        concatMap(() => from(connection.answers())),
        filter(Boolean),
        take(1),
      ),
    ),
  );

/** `rxnaming watch <appid>`: the instances of an app, then every change, until Ctrl-C. */
export const watchCommand = (): Command =>
  withConnectionOptions(
    new Command("watch")
      .description("print the instances of an app, then each change as it happens, until Ctrl-C")
      .argument("<appid>", "the app, as registered (e.g. demo.service)", checkAppId)
      .option(
        "--json",
        "one JSON object per line: added / removed / updated, and synced after the first set and after an outage",
      ),
  )
    .addHelpText(
      "after",
      `
A live table in a terminal; one line per change when piped. Errors go to stderr, one line each
(at most one a second); when the backend is back after an outage, watch says so.

Example:
  $ rxnaming watch demo.service --json --endpoints http://127.0.0.1:2379
  {"type":"added","appId":"demo.service","revision":"8","instance":{"hostname":"host-1",...}}
  {"type":"synced","appId":"demo.service","revision":"8","count":1}`,
    )
    .action(async (appId: string, options: WatchOptions) => {
      const connection = await namingFromOptions(options, { appId });
      const terminal = terminalOf(process.stdout);
      const out = (line: string): void => void process.stdout.write(`${line}\n`);
      const view = options.json
        ? jsonWatchView(out)
        : terminal.live
          ? liveWatchView(terminal, appId, connection.where)
          : lineWatchView(out, connection.where);
      const lines = new ErrorLines((e) => connection.explain(e));
      let latest: InstancesInfo | undefined;
      let inOutage = false;
      const faults = connection.naming.errors$.subscribe((e) => {
        if (isOutage(e)) inOutage = true;
        const line = lines.next(e);
        if (line === undefined) return;
        if (terminal.live && !options.json) view.fault(line);
        else process.stderr.write(`rxnaming: ${line}\n`);
      });
      const back = recoveries(connection).subscribe(() => {
        if (!inOutage) return;
        inOutage = false;
        lines.reset();
        if (latest !== undefined) view.back(latest);
      });
      try {
        await lastValueFrom(
          connection.naming.build(appId).instances$.pipe(
            instanceChanges(),
            tap((c) => {
              latest = c.info;
              view.changes(c);
            }),
            takeUntil(stopSignal$),
          ),
          { defaultValue: undefined },
        );
      } finally {
        view.end();
        faults.unsubscribe();
        back.unsubscribe();
        await connection.close();
      }
    });
