import { instance } from "../index.js";
import { invalidOption } from "../model/index.js";
import type { ClientView } from "./client-view.js";
import type { Fleet } from "./fleet.js";

/** How {@link serveConsole} serves the console. */
export interface ConsoleOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  /** Address to bind. Default "127.0.0.1": loopback, only this machine can open the page. */
  readonly host?: string;
  /** Apps to show whatever the fleet finds (the only ones, without a fleet). */
  readonly apps?: readonly string[];
  /** Finds the apps under the prefix, reads lease TTLs and rewrites instances (see {@link etcdFleet}). */
  readonly fleet?: Fleet;
  /** Serve the write routes (weight, drain); they require the token. Default false: nothing writes. */
  readonly allowWrites?: boolean;
  /** The token writes require; a random one when absent. */
  readonly token?: string;
  /** Changes kept per app. Default 200. */
  readonly historySize?: number;
  /** How often an open app's lease TTLs are asked for, in ms. Default 2,000. */
  readonly ttlRefreshMs?: number;
  /** The client's view to show; a new one when absent (`server.view`). */
  readonly view?: ClientView;
}

const known = new Set([
  "port",
  "host",
  "apps",
  "fleet",
  "allowWrites",
  "token",
  "historySize",
  "ttlRefreshMs",
  "view",
]);

const whole = (name: string, value: unknown, min: number, max: number): void => {
  if (
    value !== undefined &&
    !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)
  ) {
    throw invalidOption(name, `must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
};

/** Checks the options, throwing an `InvalidOption` NamingError that names the wrong one. */
export const checkConsoleOptions = (options: ConsoleOptions): void => {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw invalidOption(key, "is not an option of serveConsole");
  }
  whole("port", options.port, 0, 65_535);
  whole("historySize", options.historySize, 1, 100_000);
  whole("ttlRefreshMs", options.ttlRefreshMs, 100, 3_600_000);
  if (options.host !== undefined && (typeof options.host !== "string" || options.host === "")) {
    throw invalidOption("host", "must be a host name or address");
  }
  if (options.token !== undefined && (typeof options.token !== "string" || options.token.length < 16)) {
    throw invalidOption("token", "must be a string of at least 16 characters");
  }
  if (options.apps !== undefined && !Array.isArray(options.apps)) {
    throw invalidOption("apps", "must be an array of appids");
  }
  for (const appId of options.apps ?? []) {
    const checked = instance({ appId, hostname: "x" });
    if (checked._tag === "Left") throw invalidOption("apps", `holds a bad appid: ${checked.left.message}`);
  }
};
