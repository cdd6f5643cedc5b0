import { Command, InvalidArgumentError, Option } from "commander";
import { firstValueFrom } from "rxjs";
import { etcdNaming, type Naming } from "../../index.js";
import { layoutNamed } from "../../layouts.js";
import { etcdFleet, serveConsole, type ConsoleServer, type Fleet } from "../../console/index.js";
import { checkAppId } from "../app-id.js";
import { CliError, oneLine, usageError } from "../cli-error.js";
import { withConnectionOptions, type ConnectionOptions } from "../connection-options.js";
import { probedEtcd } from "../etcd-connection.js";
import { namingFromOptions } from "../naming-from-options.js";
import { stopSignal$ } from "../signals.js";

interface UiOptions extends ConnectionOptions {
  readonly port: number;
  readonly host: string;
  readonly app: readonly string[];
  readonly allowWrites?: boolean;
}

/** A TCP port, 0 for a free one. */
export const parsePort = (value: string): number => {
  const n = Number(value);
  if (!(/^\d+$/.test(value) && n <= 65_535))
    throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
};

const collect = (value: string, previous: readonly string[]): readonly string[] => [
  ...previous,
  checkAppId(value),
];

interface ConsoleBackend {
  readonly where: string;
  readonly naming: Naming;
  readonly fleet?: Fleet;
  close(): Promise<void>;
}

/**
 * On etcd, the console finds every app under the prefix itself (etcdFleet over the CLI's client,
 * TLS and user included); on the other backends it shows the apps named with --app.
 */
const consoleBackend = async (options: UiOptions): Promise<ConsoleBackend> => {
  const others = options as UiOptions & { readonly discovery?: string };
  if (options.zookeeper !== undefined || others.discovery !== undefined) {
    const first = options.app[0];
    if (first === undefined) throw usageError("name the apps to show with --app (only etcd lists its apps)");
    return namingFromOptions(options, { appId: first });
  }
  let root: string;
  try {
    root = layoutNamed(options.layout, options.prefix).appPrefix("x").slice(0, -"x/".length);
  } catch (e) {
    throw usageError(`--prefix "${options.prefix ?? ""}" is not a key prefix: ${oneLine(e)}`);
  }
  const { client, target } = await probedEtcd(options, root);
  const keys = { layout: options.layout, ...(options.prefix !== undefined && { prefix: options.prefix }) };
  const naming = etcdNaming(client, keys);
  return {
    where: `etcd ${target.endpoints.join(",")}`,
    naming,
    fleet: etcdFleet(client, keys),
    close: async () => {
      await naming.close();
      client.close();
    },
  };
};

/** Serves the console, saying so: the URL on the first line, then the write token when writes are on. */
export const startConsole = async (
  naming: Naming,
  options: { readonly port: number; readonly host: string; readonly apps: readonly string[] } & {
    readonly fleet?: Fleet;
    readonly allowWrites?: boolean;
  },
  write: (line: string) => void,
): Promise<ConsoleServer> => {
  let server: ConsoleServer;
  try {
    server = await serveConsole(naming, {
      port: options.port,
      host: options.host,
      apps: options.apps,
      ...(options.fleet !== undefined && { fleet: options.fleet }),
      ...(options.allowWrites === true && { allowWrites: true }),
    });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "EADDRINUSE") {
      throw new CliError(`port ${options.port} is in use: choose another with --port (0 picks a free one)`);
    }
    throw new CliError(`cannot serve the console on ${options.host}:${options.port}: ${oneLine(e)}`);
  }
  write(`${server.url}\n`);
  if (server.token !== undefined) write(`write token: ${server.token}\n`);
  return server;
};

/** `rxnaming ui`: a live console of the fleet in the browser, until Ctrl-C. */
export const uiCommand = (): Command =>
  withConnectionOptions(
    new Command("ui")
      .description("serve a live console of the fleet in the browser: apps, instances, lease TTLs, history")
      .addOption(
        new Option("--port <port>", "port to serve on; 0 picks a free one")
          .argParser(parsePort)
          .default(8080),
      )
      .addOption(
        new Option("--host <address>", "address to bind; anything but loopback lets others in").default(
          "127.0.0.1",
        ),
      )
      .addOption(
        new Option("--app <appid>", "an app to show (repeatable); on etcd every app under the prefix shows")
          .argParser(collect)
          .default([]),
      )
      .option(
        "--allow-writes",
        "let the page change weights and drain instances, with the token printed at start",
      ),
  )
    .addHelpText(
      "after",
      `
Prints the URL on its first line (with --port 0, the port picked). Values from the store are shown
as text. Without --allow-writes no route writes anything.

Examples:
  $ rxnaming ui --endpoints http://127.0.0.1:2379            # http://127.0.0.1:8080/
  $ rxnaming ui --port 0 --allow-writes                       # prints the URL, then the write token`,
    )
    .action(async (options: UiOptions) => {
      const backend = await consoleBackend(options);
      const out = (line: string): void => void process.stdout.write(line);
      let server: ConsoleServer | undefined;
      try {
        server = await startConsole(
          backend.naming,
          {
            port: options.port,
            host: options.host,
            apps: options.app,
            ...(backend.fleet !== undefined && { fleet: backend.fleet }),
            ...(options.allowWrites === true && { allowWrites: true }),
          },
          out,
        );
        out(`the console of ${backend.where}; Ctrl-C to stop\n`);
        await firstValueFrom(stopSignal$);
      } finally {
        await server?.close();
        await backend.close();
      }
    });
