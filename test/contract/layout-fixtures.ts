import { expect } from "vitest";
import type { Instance, LayoutName, NamingError } from "../../src/index.js";

/**
 * What the contract suite needs to know of a key layout, written out by hand for each (not
 * taken from the layout modules under test): where an instance's key is, how the layout's own
 * writers spell a value, and what of an instance survives a round trip through it.
 */
export interface LayoutFixture {
  readonly layout: LayoutName;
  /** Every key of `app` starts with this. */
  appPrefix(app: string): string;
  /** The key segment a test's instance name ("a", "host-b") is spelled as: itself, or a lease id. */
  id(name: string): string;
  /** The key of instance `id` of `app`. */
  key(app: string, id: string): string;
  /** The id (and so the hostname) that a registration of `hostname` under `leaseId` reads back as. */
  registeredId(hostname: string, leaseId: string): string;
  /** The value the layout's own writers store for instance `id` of `app`, on 127.0.0.1:`port`. */
  value(app: string, id: string, port?: number): string;
  /** A value byte for byte as the Go side writes it, and what it reads as. */
  foreign(app: string, id: string): { readonly value: string; readonly reads: Partial<Instance> };
  /** What a registration of `i` under `leaseId` reads back as: the fields the layout keeps. */
  readBack(i: Instance, leaseId: string): Partial<Instance>;
  /** Values that do not decode (each stored under the key of its `name`), and the error each gives. */
  malformed(app: string): ReadonlyArray<{ name: string; value: string; error: Partial<NamingError> }>;
  /** A key under `appPrefix(app)` that does not fit the layout: reported, not listed. */
  misfit(app: string): string;
}

const MALFORMED_JSON = { message: expect.stringMatching(/malformed JSON/) } as Partial<NamingError>;

export const kratosV1Fixture: LayoutFixture = {
  layout: "kratos-v1",
  appPrefix: (app) => `/kratos_etcd/${app}/`,
  id: (name) => name,
  key: (app, id) => `/kratos_etcd/${app}/${id}`,
  registeredId: (hostname) => hostname,
  value: (app, id, port = 9000) =>
    `{"region":"","zone":"","env":"","appid":"${app}","hostname":"${id}","addrs":["grpc://127.0.0.1:${port}"],"version":"","latest_timestamp":0,"metadata":null,"status":1}`,
  // Byte for byte what Kratos v1 writes, with metadata as Go's nil.
  foreign: (app, id) => ({
    value: `{"region":"","zone":"sh001","env":"dev","appid":"${app}","hostname":"${id}","addrs":["grpc://10.0.0.5:9000"],"version":"","latest_timestamp":0,"metadata":null,"status":0}`,
    reads: { status: 0, metadata: {}, zone: "sh001", env: "dev", lastTs: 0, addrs: ["grpc://10.0.0.5:9000"] },
  }),
  readBack: (i) => ({
    appId: i.appId,
    hostname: i.hostname,
    zone: i.zone,
    env: i.env,
    addrs: i.addrs,
    metadata: i.metadata,
    status: 1,
  }),
  malformed: (app) => [
    { name: "bad-json", value: "{not json", error: MALFORMED_JSON },
    {
      name: "bad-type",
      value: JSON.stringify({ appid: app, hostname: "bad-type", status: "up" }),
      error: { field: "status" },
    },
    {
      name: "bad-host",
      value: `{"appid":"${app}","hostname":"someone-else","addrs":["grpc://127.0.0.1:9000"]}`,
      error: { field: "hostname" },
    },
  ],
  misfit: (app) => `/kratos_etcd/${app}/too/deep`,
};

export const kratosV2Fixture: LayoutFixture = {
  layout: "kratos-v2",
  appPrefix: (app) => `/microservices/${app}/`,
  id: (name) => name,
  key: (app, id) => `/microservices/${app}/${id}`,
  registeredId: (hostname) => hostname,
  value: (app, id, port = 9000) =>
    `{"id":"${id}","name":"${app}","version":"","metadata":null,"endpoints":["grpc://127.0.0.1:${port}"]}`,
  foreign: (app, id) => ({
    value: `{"id":"${id}","name":"${app}","version":"v1.0.0","metadata":{"zone":"sh001"},"endpoints":["grpc://10.0.0.5:9000?isSecure=false"]}`,
    reads: {
      version: "v1.0.0",
      metadata: { zone: "sh001" },
      zone: "",
      addrs: ["grpc://10.0.0.5:9000?isSecure=false"],
      status: 1,
      lastTs: 0,
    },
  }),
  readBack: (i) => ({
    appId: i.appId,
    hostname: i.hostname,
    version: i.version,
    addrs: i.addrs,
    metadata: i.metadata,
    zone: "",
    status: 1,
  }),
  malformed: (app) => [
    { name: "bad-json", value: "{not json", error: MALFORMED_JSON },
    { name: "bad-type", value: `{"id":"bad-type","name":"${app}","version":3}`, error: { field: "version" } },
    { name: "bad-name", value: `{"id":"bad-name","name":"other"}`, error: { field: "name" } },
    { name: "bad-id", value: `{"id":"someone-else","name":"${app}"}`, error: { field: "id" } },
  ],
  misfit: (app) => `/microservices/${app}/too/deep`,
};

export const etcdEndpointsFixture: LayoutFixture = {
  layout: "etcd-endpoints",
  appPrefix: (app) => `${app}/`,
  id: (name) => name,
  key: (app, id) => `${app}/${id}`,
  registeredId: (hostname) => hostname,
  value: (_app, _id, port = 9000) => `{"Op":0,"Addr":"127.0.0.1:${port}","Metadata":null}`,
  foreign: () => ({
    value: '{"Op":0,"Addr":"10.0.0.5:50051","Metadata":{"weight":10}}',
    reads: { addrs: ["grpc://10.0.0.5:50051"], metadata: { weight: "10" }, zone: "", status: 1, lastTs: 0 },
  }),
  readBack: (i) => ({
    appId: i.appId,
    hostname: i.hostname,
    addrs: i.addrs.filter((a) => a.startsWith("grpc://")).slice(0, 1),
    metadata: i.metadata,
    zone: "",
    status: 1,
  }),
  malformed: () => [
    { name: "bad-json", value: "{not json", error: MALFORMED_JSON },
    { name: "bad-type", value: '{"Op":0,"Addr":5}', error: { field: "Addr" } },
    { name: "bad-op", value: '{"Op":1,"Addr":"10.0.0.5:50051"}', error: { field: "Op" } },
  ],
  misfit: (app) => `${app}/`,
};

// go-zero names instances by lease id: the contract's names stand for ids in the same order.
const LEASE_IDS: Readonly<Record<string, string>> = {
  a: "1001",
  b: "1002",
  h: "1003",
  "host-a": "2001",
  "host-b": "2002",
  good: "3001",
  good2: "3002",
  "bad-empty": "3003",
  "bad-space": "3004",
  mine: "4001",
  x: "4002",
};

export const goZeroFixture: LayoutFixture = {
  layout: "go-zero",
  appPrefix: (app) => `${app}/`,
  id: (name) => {
    const id = LEASE_IDS[name];
    if (id === undefined) throw new Error(`go-zero fixture: no lease id for ${name}`);
    return id;
  },
  key: (app, id) => `${app}/${id}`,
  registeredId: (_hostname, leaseId) => leaseId,
  value: (_app, _id, port = 9000) => `127.0.0.1:${port}`,
  foreign: () => ({
    value: "10.0.0.5:8080",
    reads: { addrs: ["grpc://10.0.0.5:8080"], metadata: {}, zone: "", status: 1, lastTs: 0 },
  }),
  readBack: (i, leaseId) => ({
    appId: i.appId,
    hostname: leaseId,
    addrs: i.addrs.filter((a) => a.startsWith("grpc://")).slice(0, 1),
    metadata: {},
    zone: "",
    status: 1,
  }),
  malformed: () => [
    { name: "bad-empty", value: "", error: { message: expect.stringMatching(/empty/) } },
    { name: "bad-space", value: "10.0.0.5:80 80", error: { message: expect.stringMatching(/whitespace/) } },
  ],
  misfit: (app) => `${app}/not-a-lease`,
};

/** One fixture per layout, Kratos v1 (the default) first. */
export const layoutFixtures: readonly LayoutFixture[] = [
  kratosV1Fixture,
  kratosV2Fixture,
  etcdEndpointsFixture,
  goZeroFixture,
];
