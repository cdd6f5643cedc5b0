import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { isCliError, oneLine } from "./cli-error.js";
import { demoCommand } from "./commands/demo.js";
import { listCommand } from "./commands/list.js";
import { registerCommand } from "./commands/register.js";
import { uiCommand } from "./commands/ui.js";
import { watchCommand } from "./commands/watch.js";
import { visible } from "./render/terminal-text.js";

const version = (): string => {
  try {
    return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
};

/**
 * Every usage error of `command` on one line, with where to look: commander's own message
 * ("error: required option '--appid <appid>' not specified") and "see 'rxnaming X --help'".
 */
const oneLineErrors = (command: Command, path: string): Command =>
  command.exitOverride().configureOutput({
    outputError: (text, write) =>
      write(
        `rxnaming: ${visible(
          text
            .replace(/^error: /, "")
            .trim()
            .replace(/\s*\n\s*/g, " "),
        )} (see '${path} --help')\n`,
      ),
  });

/** The `rxnaming` program: demo, watch, list, register. */
export const program = (): Command => {
  const root = new Command("rxnaming")
    .description(
      "Service registration and discovery on etcd or ZooKeeper (Kratos naming), and a demo on an embedded store.",
    )
    .version(version())
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      `
Backends: etcd with --endpoints (or ETCD_ENDPOINTS, ETCDCTL_ENDPOINTS; default http://127.0.0.1:2379),
ZooKeeper with --zookeeper host:port (or ZOOKEEPER_SERVERS); the demo runs on an embedded store
unless one of them is given. Each command's --help lists its options.

Examples:
  $ rxnaming demo                                   # the whole story, no etcd needed
  $ rxnaming watch demo.service --endpoints http://127.0.0.1:2379
  $ rxnaming list demo.service --zookeeper 127.0.0.1:2181
  $ rxnaming register --appid demo.service --hostname host-1 --addr grpc://10.0.0.5:9000`,
    );
  oneLineErrors(root, "rxnaming");
  for (const command of [demoCommand(), watchCommand(), listCommand(), registerCommand(), uiCommand()]) {
    root.addCommand(oneLineErrors(command, `rxnaming ${command.name()}`));
  }
  return root;
};

/** Runs the command line; resolves to the exit status. Nothing but one line reaches stderr on failure. */
export const run = async (args: readonly string[]): Promise<number> => {
  try {
    await program().parseAsync([...args], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; help shown for a missing command, and every usage error, exit 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isCliError(e)) {
      process.stderr.write(`rxnaming: ${visible(e.message)}\n`);
      return e.exitCode;
    }
    process.stderr.write(`rxnaming: unexpected error: ${visible(oneLine(e))}\n`);
    return 1;
  }
};
