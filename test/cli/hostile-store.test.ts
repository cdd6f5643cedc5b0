import { describe, expect, it } from "vitest";
import { freshApp } from "../contract/naming-contract.js";
import { useEtcd, useEtcdClient } from "../harness/index.js";
import { CliProcess, cleanEnv, runCli, useBuiltCli } from "../harness/cli-process.js";
import { TmuxScreen } from "./tmux-screen.js";

// Values written straight into etcd by someone else, read by `list` and `watch`: nothing from the
// store may drive the terminal (escape sequences, forged rows, reversed text) or blow up a table.
const etcd = useEtcd();
const cli = useBuiltCli();
const client = useEtcdClient(etcd);

const at = (): string[] => ["--endpoints", etcd().endpoint];

/** Kratos v1's value for an instance, as another writer might put it. */
const kratosValue = (app: string, hostname: string, fields: Record<string, unknown> = {}): string =>
  JSON.stringify({
    region: "",
    zone: "",
    env: "",
    appid: app,
    hostname,
    addrs: ["grpc://10.0.0.5:9000"],
    version: "",
    latest_timestamp: 0,
    metadata: null,
    status: 0,
    ...fields,
  });

const HOSTILE = {
  zone: "\u001b]0;pwned\u0007\u001b[2J\u001b[H",
  version: "v1\u202egnp.exe",
  addrs: ["grpc://10.0.0.5:9000/\r\nforged-host"],
  metadata: { note: "\u009b31mred\u0085next" },
};

/** No byte that a terminal would act on, nor a reversing character. */
const expectInert = (text: string): void => {
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
};

const putHostile = async (app: string): Promise<void> => {
  await client()
    .put(`/kratos_etcd/${app}/host-1`)
    .value(kratosValue(app, "host-1", HOSTILE));
};

describe("hostile values in the store", () => {
  // The library refuses such values (a Decode error): the CLI must say so without letting a byte
  // of them act on the terminal, and go on listing the rest of the app.
  const putGood = async (app: string): Promise<void> => {
    await client().put(`/kratos_etcd/${app}/host-2`).value(kratosValue(app, "host-2"));
  };

  it("list: a hostile value is skipped and named on stderr with its escapes shown; the rest is listed", async () => {
    const app = freshApp("hostile");
    await putHostile(app);
    await putGood(app);
    const result = await runCli(cli().main, ["list", app, ...at()]);
    expect(result.code).toBe(0);
    expectInert(result.stdout);
    expectInert(result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2); // the header and the good row
    expect(lines[1]).toMatch(/^host-2 /);
    expect(result.stderr).toMatch(new RegExp(`skipped.*/kratos_etcd/${app.replace(/\./g, "\\.")}/host-1`));
  });

  it("list --json: the instances that decode, whole; the skipped one named on stderr", async () => {
    const app = freshApp("hostile");
    await putHostile(app);
    await putGood(app);
    const result = await runCli(cli().main, ["list", app, "--json", ...at()]);
    expect(result.code).toBe(0);
    expectInert(result.stdout);
    expectInert(result.stderr);
    const listed = JSON.parse(result.stdout) as { instances: { hostname: string }[] };
    expect(listed.instances.map((i) => i.hostname)).toEqual(["host-2"]);
    expect(result.stderr).toContain("host-1");
  });

  it("watch, piped and --json: a hostile change is reported on stderr, inert; good changes go on", async () => {
    const app = freshApp("hostile");
    const piped = new CliProcess(cli().main, ["watch", app, ...at()]);
    const json = new CliProcess(cli().main, ["watch", app, "--json", ...at()]);
    try {
      await piped.waitForOutput(/watching/);
      await json.waitForOutput(/"synced"/);
      await putHostile(app);
      await putGood(app);
      await piped.waitForOutput(/added/);
      await json.waitForOutput(/"added"/);
      piped.signal("SIGINT");
      json.signal("SIGINT");
      const [p, j] = await Promise.all([piped.exit(10_000), json.exit(10_000)]);
      for (const out of [p.stdout, p.stderr, j.stdout, j.stderr]) expectInert(out);
      expect(p.stdout.trimEnd().split("\n")).toHaveLength(2); // "watching", then one "added" line
      expect(p.stdout).toContain("host-2");
      expect(p.stderr).toMatch(/skipped.*host-1/);
      expect(j.stderr).toMatch(/skipped.*host-1/);
      const added = JSON.parse(j.stdout.trimEnd().split("\n")[1]!) as { instance: { hostname: string } };
      expect(added.instance.hostname).toBe("host-2");
    } finally {
      piped.kill();
      json.kill();
    }
  });

  it("watch in a terminal: the pane keeps its title and screen while a hostile value is reported", async () => {
    const app = freshApp("hostile");
    await putHostile(app);
    await putGood(app);
    const screen = await TmuxScreen.start(
      `node ${cli().main} watch ${app} --endpoints ${etcd().endpoint}`,
      120,
      30,
      cleanEnv(),
    );
    try {
      const shown = await screen.waitFor(/host-2/, 20_000);
      expect(shown).not.toMatch(/^forged-host/m);
      expect(shown).not.toContain("pwned\n");
      const title = await screen.title();
      expect(title).not.toContain("pwned");
    } finally {
      await screen.kill();
    }
  });

  it("demo on etcd: an instance someone else wrote under the demo's app is reported, not obeyed", async () => {
    const evil = "evil\u202egnp.exe";
    await client()
      .put(`/kratos_etcd/rxnaming.demo/${evil}`)
      .value(kratosValue("rxnaming.demo", evil, { metadata: { weight: "1\u001b[2J" } }));
    try {
      const result = await runCli(cli().main, ["demo", "--duration", "2s", ...at()], 40_000);
      expect(result.code).toBe(0);
      expectInert(result.stdout);
      expectInert(result.stderr);
      expect(result.stdout).not.toContain("evil");
    } finally {
      await client().delete().key(`/kratos_etcd/rxnaming.demo/${evil}`);
    }
  });

  it("one 1.4 MB value among 100 instances: list stays small, --json prints it whole", async () => {
    const app = freshApp("large");
    const huge = "m".repeat(1_400_000);
    for (let i = 0; i < 100; i++) {
      const metadata = i === 0 ? { blob: huge } : { weight: "10" };
      await client()
        .put(`/kratos_etcd/${app}/host-${i}`)
        .value(kratosValue(app, `host-${i}`, { metadata }));
    }
    const listed = await runCli(cli().main, ["list", app, ...at()], 60_000);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n").filter((l) => l !== "")).toHaveLength(101);
    expect(listed.stdout.length).toBeLessThan(30_000);
    expect(listed.stdout).toMatch(/blob=m+…/);

    // In a terminal of 80 columns, the table fits it: the widest cells are cut.
    const screen = await TmuxScreen.start(
      `node ${cli().main} list ${app} --endpoints ${etcd().endpoint}; echo "[exit $?]"; sleep 60`,
      80,
      110,
      cleanEnv(),
    );
    try {
      const shown = await screen.waitFor(/\[exit \d+\]/, 30_000);
      expect(shown).toContain("[exit 0]");
      const rows = shown.split("\n").filter((l) => /^host-\d+ /.test(l));
      expect(rows).toHaveLength(100);
      expect(rows.every((l) => l.length <= 80)).toBe(true);
      expect(rows.some((l) => /blob=m*…/.test(l))).toBe(true);
    } finally {
      await screen.kill();
    }

    const json = await runCli(cli().main, ["list", app, "--json", ...at()], 60_000);
    expect(json.code).toBe(0);
    const whole = JSON.parse(json.stdout) as { instances: { metadata: Record<string, string> }[] };
    expect(whole.instances.find((i) => i.metadata["blob"] !== undefined)?.metadata["blob"]).toBe(huge);
  });
});
