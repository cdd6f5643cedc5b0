import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/cli/connection-options.js";
import { parseEndpoints } from "../../src/cli/etcd-connection.js";
import { explainEtcdError } from "../../src/cli/etcd-errors.js";
import { probedConnection, type Probe } from "../../src/cli/probed-connection.js";
import { clip, visibleWidth } from "../../src/cli/render/terminal.js";

// The small pure parts of the command line; cli.test.ts runs the whole of it as users do.
describe("parseEndpoints", () => {
  it("adds the scheme and etcd's port as etcdctl does, and keeps a list", () => {
    expect(parseEndpoints("127.0.0.1:2379, etcd-2", false)).toEqual([
      "http://127.0.0.1:2379",
      "http://etcd-2:2379",
    ]);
    expect(parseEndpoints("localhost:2379", true)).toEqual(["https://localhost:2379"]);
    expect(parseEndpoints("https://[::1]:23", false)).toEqual(["https://[::1]:23"]);
  });

  it("rejects what is not an http(s) URL, naming it", () => {
    expect(() => parseEndpoints("ftp://x", false)).toThrow(/"ftp:\/\/x" must be http:\/\/ or https:\/\//);
    expect(() => parseEndpoints(" , ", false)).toThrow(/--endpoints is empty/);
  });
});

describe("parseDuration", () => {
  it("reads seconds and milliseconds", () => {
    expect([parseDuration("3s"), parseDuration("500ms"), parseDuration("2"), parseDuration("1.5s")]).toEqual([
      3000, 500, 2000, 1500,
    ]);
    expect(() => parseDuration("soon")).toThrow(/duration/);
    expect(() => parseDuration("0s")).toThrow(/more than 0/);
  });
});

describe("explainEtcdError", () => {
  const target = { endpoints: ["http://127.0.0.1:1"], dialTimeoutMs: 3000 };

  it("keeps the part of a gRPC error a user can act on", () => {
    const grpc = new Error(
      "14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ",
    );
    expect(explainEtcdError(grpc, target)).toBe(
      "cannot reach etcd at http://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1): is it running, and are --endpoints (or ETCD_ENDPOINTS) right? (https:// and --cacert for TLS)",
    );
  });

  it("finds access errors inside a NamingError's cause", () => {
    const denied = new Error("backend range failed", { cause: new Error("etcdserver: permission denied") });
    expect(explainEtcdError(denied, { ...target, user: "bob", keyPrefix: "/kratos_etcd/a/" })).toMatch(
      /denied user "bob" access to \/kratos_etcd\/a\/: grant it a role/,
    );
  });
});

describe("probedConnection", () => {
  const silent: Probe = {
    kind: "ZooKeeper",
    where: "127.0.0.1:1",
    timeoutMs: 50,
    hint: "is it running?",
    call: () => new Promise(() => undefined),
  };
  const made = (): { closed: number; close(): void } => ({
    closed: 0,
    close() {
      this.closed += 1;
    },
  });

  it("gives up at the dial time-out, closes what it made and says so in the words every backend uses", async () => {
    const connection = made();
    await expect(
      probedConnection(
        () => connection,
        () => silent,
      ),
    ).rejects.toThrow(
      /^ZooKeeper at 127\.0\.0\.1:1 did not answer within 0\.05 s \(--dial-timeout\): is it running\?$/,
    );
    expect(connection.closed).toBe(1);
  });

  it("explains a failure before the time-out in the backend's words; returns what answered, open", async () => {
    const refused = made();
    const failing: Probe = {
      ...silent,
      call: () => Promise.reject(new Error("permission denied")),
      explain: (e) => `etcd said: ${(e as Error).message}`,
    };
    await expect(
      probedConnection(
        () => refused,
        () => failing,
      ),
    ).rejects.toThrow(/^etcd said: permission denied$/);
    expect(refused.closed).toBe(1);
    const answering = made();
    expect(
      await probedConnection(
        async () => answering,
        () => ({ ...silent, call: async () => [] }),
      ),
    ).toBe(answering);
    expect(answering.closed).toBe(0);
  });
});

describe("clip", () => {
  it("cuts to a width in columns, not counting escape codes, ends with an ellipsis, and closes them", () => {
    const styled = "\u001b[1mbold\u001b[22m and more";
    expect(visibleWidth(styled)).toBe(13);
    expect(clip(styled, 6)).toBe("\u001b[1mbold\u001b[22m …\u001b[0m");
    expect(clip("█████", 3)).toBe("██…");
    expect(clip("short", 10)).toBe("short");
  });
});
