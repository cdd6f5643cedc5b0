import { Command } from "commander";
import { firstValueFrom, map, merge, timer, type Observable } from "rxjs";
import type { InstancesInfo, Naming, NamingError } from "../../index.js";
import { checkAppId } from "../app-id.js";
import { CliError } from "../cli-error.js";
import { withConnectionOptions, type ConnectionOptions } from "../connection-options.js";
import { errorLine } from "../error-lines.js";
import { namingFromOptions } from "../naming-from-options.js";
import { instanceTable } from "../render/instance-text.js";
import { terminalOf } from "../render/terminal.js";
import { jsonLine } from "../render/terminal-text.js";

/** How many values that do not decode `list` names one by one. */
const MAX_SKIPPED_LINES = 10;

interface ListOptions extends ConnectionOptions {
  readonly json?: boolean;
}

/**
 * The first set of an app, or the backend's last error when none came within `ms`: the set is
 * read once it answers, and `instances$` never errors, so the command needs a deadline of its own.
 * `skipped` is told of every value that did not decode on the way.
 */
const firstSet = (
  naming: Naming,
  appId: string,
  ms: number,
  skipped: (e: NamingError) => void,
): Promise<InstancesInfo | { error: unknown }> => {
  let lastError: unknown = new Error(`no answer within ${ms} ms`);
  const errors = naming.errors$.subscribe((e) => {
    if (e._tag === "Decode") skipped(e);
    else lastError = e;
  });
  const first$: Observable<InstancesInfo | { error: unknown }> = merge(
    naming.build(appId).instances$,
    timer(ms).pipe(map(() => ({ error: lastError }))),
  );
  return firstValueFrom(first$).finally(() => errors.unsubscribe());
};

/** `rxnaming list <appid>`: the instances of an app, once. */
export const listCommand = (): Command =>
  withConnectionOptions(
    new Command("list")
      .description("print the instances of an app once, then exit")
      .argument("<appid>", "the app, as registered (e.g. demo.service)", checkAppId)
      .option("--json", "print one JSON object: { appId, revision, instances }"),
  )
    .addHelpText(
      "after",
      `
Example:
  $ rxnaming list demo.service --endpoints http://127.0.0.1:2379
  HOSTNAME  ZONE   ADDRS                 VERSION  METADATA
  host-1    sh001  grpc://10.0.0.5:9000  -        weight=10`,
    )
    .action(async (appId: string, options: ListOptions) => {
      const connection = await namingFromOptions(options, { appId });
      try {
        // Each value left out is named, up to a few: a thousand bad keys are a count, not a flood.
        let skipped = 0;
        const result = await firstSet(connection.naming, appId, options.dialTimeout * 2, (e) => {
          if (++skipped <= MAX_SKIPPED_LINES) {
            process.stderr.write(`rxnaming: ${errorLine(e, connection.explain)}\n`);
          }
        });
        if (skipped > MAX_SKIPPED_LINES) {
          process.stderr.write(
            `rxnaming: skipped: ${skipped - MAX_SKIPPED_LINES} more values that do not decode\n`,
          );
        }
        if ("error" in result) throw new CliError(connection.explain(result.error));
        if (options.json) {
          const { revision, instances } = result;
          process.stdout.write(`${jsonLine({ appId, revision, instances })}\n`);
        } else if (result.instances.length === 0) {
          process.stderr.write(`no instances of ${appId} in ${connection.where}\n`);
        } else {
          const terminal = terminalOf(process.stdout);
          const width = terminal.live ? terminal.columns() : undefined;
          process.stdout.write(`${instanceTable(result.instances, width).join("\n")}\n`);
        }
      } finally {
        await connection.close();
      }
    });
