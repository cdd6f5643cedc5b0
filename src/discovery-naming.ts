import { hostname as osHostname } from "node:os";
import { discoveryBackend } from "./backends/discovery/index.js";
import { createNaming, type BackoffOptions } from "./core/index.js";
import { invalidOption } from "./model/index.js";
import type { Naming } from "./naming.js";
import { buildOptions, type BuildOptions } from "./operators/build-options.js";

/** Options of {@link discoveryNaming}: `nodes`, `zone` and `env` are required, the rest have defaults. */
export interface DiscoveryNamingOptions {
  /** The cluster's HTTP addresses, `host:port`, tried in this order when one fails. */
  readonly nodes: readonly string[];
  /** The zone instances are registered in when they name none (Kratos' `zone`). */
  readonly zone: string;
  /** The environment: instances are registered in it (when they name none) and watched in it. */
  readonly env: string;
  /** The region instances are registered in when they name none. Default "". */
  readonly region?: string;
  /** The client's hostname, which polls carry. Default `os.hostname()`. */
  readonly host?: string;
  /** How often a registration is renewed, in ms. Default 30,000, as Kratos. */
  readonly renewIntervalMs?: number;
  /** How long an app's watch outlives its last subscriber, in ms. Default 5,000. */
  readonly lingerMs?: number;
  /** How long `fetch()` waits for an app's first set before it fails, in ms. Default 10,000. */
  readonly fetchTimeoutMs?: number;
  /** The deadline of each call to a node (a poll: beyond its hold), in ms. Default 5,000. */
  readonly requestTimeoutMs?: number;
  /** How long the server holds a poll while no watched app has instances, in ms. Default 30,000, the server's own. */
  readonly pollHoldMs?: number;
  /**
   * How long it holds one while some have, in ms; each poll that ends with nothing new is then
   * followed by a small read of the apps' timestamps, because the server does not report an app's
   * last instance leaving. It bounds how late consumers learn that an app has none left.
   * Default 2,000.
   */
  readonly emptyCheckMs?: number;
  /** Backoff of retries. Default 100 ms doubling to 1 s, jittered. */
  readonly backoff?: BackoffOptions;
}

const KNOWN = new Set([
  "nodes",
  "zone",
  "env",
  "region",
  "host",
  "renewIntervalMs",
  "lingerMs",
  "fetchTimeoutMs",
  "requestTimeoutMs",
  "pollHoldMs",
  "emptyCheckMs",
  "backoff",
]);

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

const positive = (option: string, value: unknown, fallback: number): number => {
  const v = value ?? fallback;
  if (!(typeof v === "number" && Number.isInteger(v) && v >= 1))
    throw invalidOption(option, `must be a whole number >= 1, got ${String(value)}`);
  return v;
};

const name = (option: string, value: unknown, fallback?: string): string => {
  const v = value ?? fallback;
  if (typeof v !== "string" || (fallback === undefined && v === "") || /[\s\p{Cc}]/u.test(v)) {
    throw invalidOption(
      option,
      `must be a ${fallback === undefined ? "non-empty " : ""}string without whitespace, got ${JSON.stringify(value)}`,
    );
  }
  return v;
};

/**
 * A Naming on bilibili's discovery server, the registry of Kratos v1's `pkg/naming/discovery`,
 * over its HTTP API: registrations are renewed every `renewIntervalMs` and registered again when
 * the server lost them; discovery is one long poll for every app the naming watches, whatever
 * the number of consumers (docs/discovery.md).
 *
 * @example
 * const naming = discoveryNaming({ nodes: ["127.0.0.1:7171"], zone: "sh001", env: "dev" });
 * naming.register(instance).subscribe();
 * naming.build("demo.service").instances$.subscribe((info) => console.log(info.instances));
 * // ...
 * await naming.close();
 */
export const discoveryNaming = (options: DiscoveryNamingOptions): Naming => {
  if (typeof options !== "object" || options === null) {
    throw invalidOption("options", `must be an object with nodes, zone and env, got ${String(options)}`);
  }
  const unknown = Object.keys(options).find((k) => !KNOWN.has(k));
  if (unknown !== undefined) throw invalidOption(unknown, "is not an option of discoveryNaming");
  const { nodes } = options;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw invalidOption("nodes", `must be a non-empty list of "host:port", got ${JSON.stringify(nodes)}`);
  }
  for (const node of nodes as unknown[]) {
    const match = typeof node === "string" ? HOST_PORT.exec(node) : null;
    if (match === null || !(Number(match[2]) >= 1 && Number(match[2]) <= 65_535)) {
      throw invalidOption("nodes", `must be "host:port" each, got ${JSON.stringify(node)}`);
    }
  }
  const requestTimeoutMs = positive("requestTimeoutMs", options.requestTimeoutMs, 5_000);
  return createNaming<BuildOptions>(
    discoveryBackend({
      nodes,
      zone: name("zone", options.zone),
      env: name("env", options.env),
      region: name("region", options.region, ""),
      host: name("host", options.host, osHostname()),
      renewIntervalMs: positive("renewIntervalMs", options.renewIntervalMs, 30_000),
      requestTimeoutMs,
      pollHoldMs: positive("pollHoldMs", options.pollHoldMs, 30_000),
      emptyCheckMs: positive("emptyCheckMs", options.emptyCheckMs, 2_000),
      ...(options.backoff && { backoff: options.backoff }),
    }),
    {
      pipeline: buildOptions,
      ...(options.lingerMs !== undefined && { lingerMs: options.lingerMs }),
      ...(options.fetchTimeoutMs !== undefined && { fetchTimeoutMs: options.fetchTimeoutMs }),
      ...(options.backoff && { backoff: options.backoff }),
    },
  );
};
