// Weights read live: an operator changes metadata.weight in etcd, and WRR's ratio follows.
import { afterEach, beforeEach, expect, it } from "vitest";
import { weightedRoundRobin, type Picker } from "../../src/balancers/index.js";
import { encodeInstance } from "../../src/model/index.js";
import { freshApp } from "../contract/naming-contract.js";
import { EtcdWorld } from "../etcd/support.js";
import { useEtcd, waitFor } from "../harness/index.js";
import { countPicks, inst } from "./fixtures.js";

const etcd = useEtcd();
let world: EtcdWorld;
beforeEach(() => {
  world = new EtcdWorld(() => etcd().clientOptions());
});
afterEach(async () => {
  await world.dispose();
});

it("a metadata.weight change written to etcd shows in WRR's pick ratio within 1 s, within 5% over 10,000 picks", async () => {
  const appId = freshApp("weights");
  const key = (h: string) => `/kratos_etcd/${appId}/${h}`;
  const put = (h: string, weight: string) =>
    world.put(key(h), encodeInstance(inst(h, { appId, metadata: { weight } })));
  await put("a", "10");
  await put("b", "10");
  const naming = world.naming();
  let picker: Picker | undefined;
  const sub = naming
    .build(appId)
    .instances$.pipe(weightedRoundRobin())
    .subscribe((p) => (picker = p));
  try {
    const shareOfA = () => (picker === undefined ? 0 : (countPicks(picker, 10_000).get("a") ?? 0) / 10_000);
    await waitFor(() => Math.abs(shareOfA() - 0.5) < 0.05, { message: "a at half" });

    const written = performance.now();
    await put("a", "30");
    const seen = await waitFor(() => (Math.abs(shareOfA() - 0.75) < 0.05 ? performance.now() : 0), {
      intervalMs: 5,
      message: "a at three quarters",
    });
    expect(seen - written).toBeLessThan(1_000);
    expect(Math.abs(shareOfA() - 0.75)).toBeLessThan(0.05);
  } finally {
    sub.unsubscribe();
  }
}, 30_000);
