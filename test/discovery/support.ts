import { describe, expect } from "vitest";
import { discoveryNaming, type DiscoveryNamingOptions, type Instance, type Naming } from "../../src/index.js";
import type { ContractWorld } from "../contract/naming-contract.js";
import { kratosV1Fixture, type LayoutFixture } from "../contract/layout-fixtures.js";
import { discoveryBinary, DISCOVERY_MISSING } from "../harness/discovery-process.js";

/** `describe`, or a skip with one line saying how to get the server when there is none. */
export const describeWithDiscovery = (name: string, body: () => void): void => {
  if (discoveryBinary() === undefined) {
    const bad = process.env.DISCOVERY_BIN;
    console.warn(
      bad ? `DISCOVERY_BIN=${bad} is not an executable file: ${DISCOVERY_MISSING}` : DISCOVERY_MISSING,
    );
    describe.skip(name, body);
  } else {
    describe(name, body);
  }
};

export const ZONE = "sh001";
export const ENV = "dev";

/** A raw answer of the server, its big timestamps as text. */
export interface RawAnswer {
  readonly code: number;
  readonly message?: string;
  readonly data?: unknown;
  readonly error?: unknown;
}

/** Calls the server as curl would: form fields, one request, the body as text. */
export const raw = async (
  node: string,
  method: "GET" | "POST",
  path: string,
  params: [string, string][],
): Promise<{ text: string; answer: RawAnswer }> => {
  const query = new URLSearchParams(params).toString();
  const url = `http://${node}/discovery/${path}`;
  const response = await fetch(method === "GET" ? `${url}?${query}` : url, {
    method,
    signal: AbortSignal.timeout(5_000),
    ...(method === "POST" && {
      body: query,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }),
  });
  const text = await response.text();
  return { text, answer: JSON.parse(text) as RawAnswer };
};

/** The instances of `app` the server holds (both statuses), as it serves them. */
export const served = async (node: string, app: string, env = ENV): Promise<Record<string, unknown>[]> => {
  const { answer } = await raw(node, "GET", "fetchs", [
    ["appid", app],
    ["env", env],
    ["status", "3"],
  ]);
  const zones = (answer.data as Record<string, { instances: Record<string, Record<string, unknown>[]> }>)?.[
    app
  ]?.instances;
  return Object.values(zones ?? {}).flat();
};

/** The fields of a Kratos v1 JSON value as form fields of a register. */
const registerFields = (value: Record<string, unknown>): [string, string][] => [
  ["zone", (value.zone as string) || ZONE],
  ["env", (value.env as string) || ENV],
  ["region", (value.region as string | undefined) ?? ""],
  ["appid", value.appid as string],
  ["hostname", value.hostname as string],
  ["status", String((value.status as number | undefined) || 1)],
  ["version", (value.version as string | undefined) ?? ""],
  ["metadata", JSON.stringify(value.metadata ?? {})],
  ...((value.addrs as string[] | null) ?? []).map((a): [string, string] => ["addrs", a]),
];

/**
 * The contract's backend on one discovery server: keys are `<appid>/<hostname>`, and a raw write
 * registers the instance the value describes, as another program (a Kratos service) would.
 */
export class DiscoveryWorld implements ContractWorld {
  private readonly namings: Naming[] = [];

  constructor(private readonly nodes: () => readonly string[]) {}

  private get node(): string {
    return this.nodes()[0]!;
  }

  naming(options: { ttlSeconds?: number; lingerMs?: number } & Partial<DiscoveryNamingOptions> = {}): Naming {
    const {
      ttlSeconds: _ttl,
      layout: _layout,
      prefix: _prefix,
      ...rest
    } = options as Record<string, unknown>;
    const naming = discoveryNaming({
      nodes: this.nodes(),
      zone: ZONE,
      env: ENV,
      lingerMs: 0,
      renewIntervalMs: 1_000,
      emptyCheckMs: 500,
      requestTimeoutMs: 2_000,
      ...(rest as Partial<DiscoveryNamingOptions>),
    });
    this.namings.push(naming);
    return naming;
  }

  async put(key: string, value: string): Promise<void> {
    const json = JSON.parse(value) as Record<string, unknown>;
    const slash = key.indexOf("/");
    const fields = registerFields({ ...json, appid: key.slice(0, slash), hostname: key.slice(slash + 1) });
    const { answer } = await raw(this.node, "POST", "register", fields);
    if (answer.code !== 0) throw new Error(`register ${key}: ${JSON.stringify(answer)}`);
  }

  async del(key: string): Promise<void> {
    const slash = key.indexOf("/");
    const [app, host] = [key.slice(0, slash), key.slice(slash + 1)];
    for (const i of await served(this.node, app)) {
      if (i.hostname !== host) continue;
      await raw(this.node, "POST", "cancel", [
        ["zone", i.zone as string],
        ["env", ENV],
        ["appid", app],
        ["hostname", host],
      ]);
    }
  }

  async get(key: string): Promise<string | undefined> {
    const slash = key.indexOf("/");
    const found = (await served(this.node, key.slice(0, slash))).find(
      (i) => i.hostname === key.slice(slash + 1),
    );
    return found === undefined ? undefined : JSON.stringify(found);
  }

  async keys(prefix: string): Promise<string[]> {
    const app = prefix.slice(0, -1);
    return (await served(this.node, app)).map((i) => `${app}/${String(i.hostname)}`).sort();
  }

  async dispose(): Promise<void> {
    await Promise.all(this.namings.map((n) => n.close()));
  }
}

/**
 * The contract's fixture for discovery: keys `<appid>/<hostname>`; a "foreign" value is what a
 * Kratos service registers (status 1, metadata); the server stores only what it can parse, so the
 * values that do not decode are instances it holds and rxnaming refuses (a bad address, a hostname with a
 * space), and the misplaced key is a hostname with a "/".
 */
export const discoveryFixture: LayoutFixture = {
  ...kratosV1Fixture,
  appPrefix: (app) => `${app}/`,
  key: (app, id) => `${app}/${id}`,
  foreign: (app, id) => ({
    value: `{"region":"sh","zone":"sh002","env":"dev","appid":"${app}","hostname":"${id}","addrs":["grpc://10.0.0.5:9000","http://10.0.0.5:8000"],"version":"v1.2.3","latest_timestamp":0,"metadata":{"cluster":"c1","weight":"10"},"status":1}`,
    reads: {
      region: "sh",
      status: 1,
      metadata: { cluster: "c1", weight: "10" },
      zone: "sh002",
      env: "dev",
      version: "v1.2.3",
      addrs: ["grpc://10.0.0.5:9000", "http://10.0.0.5:8000"],
    },
  }),
  readBack: (i: Instance) => ({
    appId: i.appId,
    hostname: i.hostname,
    zone: i.zone || ZONE,
    env: i.env || ENV,
    addrs: i.addrs,
    metadata: i.metadata,
    status: 1,
  }),
  malformed: (app) => [
    {
      name: "bad-addr",
      value: `{"appid":"${app}","hostname":"bad-addr","addrs":["::nope"],"status":1}`,
      error: { field: "addrs[0]" },
    },
    {
      name: "bad host",
      value: `{"appid":"${app}","hostname":"bad host","addrs":["grpc://127.0.0.1:9000"],"status":1}`,
      error: { message: expect.stringMatching(/whitespace/) as unknown as string },
    },
  ],
  misfit: (app) => `${app}/too/deep`,
};
