// The leader SIGSTOPped under a keep-alive stream that runs to a follower. etcd 3.4's follower
// forwards each keep-alive to the leader over HTTP and waits for it for its whole request timeout
// (5 s and two election timeouts), one after another on the stream, even once a new leader is
// elected: the follower answers reads all along, so "does the member answer?" cannot tell. Found
// by the soak (seed 13013): two 6 s leases lost during an 8.4 s pause of the leader. The keep-alive
// hub re-makes a silent stream whose member is in a newer Raft term than it last saw.
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { RegistrationEvent } from "../../src/index.js";
import { holdFor, startCluster, useHarnessCleanup, waitFor } from "../harness/index.js";
import { EtcdWorld, freshApp, inst, keyOf, memberWith } from "./support.js";

useHarnessCleanup("each");

// As the soak's. With etcd's default election timeout (1 s), the followers keep forwarding
// keep-alives to the paused leader for a second or two before they elect another: every stream
// then has one stuck (with the harness' 100 ms elections, only a keep-alive sent in that window).
const TTL = 6;

describe("the leader paused under a follower's keep-alive stream", () => {
  let world: EtcdWorld | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });

  it("costs no lease while it stays paused for over two TTLs", async () => {
    const cluster = await startCluster(3, { fastElection: false });
    world = new EtcdWorld(() => cluster.clientOptions());
    const leader = await cluster.leader();
    const followers = cluster.members.filter((m) => m !== leader);
    // The client knows only the followers: its keep-alive stream runs to one of them.
    const naming = world.naming(
      { ttlSeconds: TTL },
      world.client({ hosts: followers.flatMap((m) => m.clientOptions().hosts) }),
    );
    const app = freshApp("pausedleader");
    const events: (RegistrationEvent & { host: string })[] = [];
    const errors: unknown[] = [];
    const subs: Subscription[] = ["a", "b", "c"].map((host) =>
      naming.register(inst(app, host)).subscribe({
        next: (e) => events.push({ ...e, host }),
        error: (e: unknown) => errors.push(e),
      }),
    );
    try {
      await waitFor(() => events.filter((e) => e.type === "registered").length === 3, {
        message: "registered",
      });
      const streamOn = cluster.member(await memberWith(cluster.members, "LeaseKeepAlive"));
      expect(followers).toContain(streamOn);
      // The pause finds the leases some way into their TTL, not freshly granted.
      const leaseAgeMs = 1_200;
      await holdFor(leaseAgeMs);
      leader.pause();
      const pauseMs = 2 * TTL * 1_000 + 500;
      await holdFor(pauseMs);
      // Still paused: every lease alive, by the registrations' account and by etcd's (read
      // through the followers, which elected a new leader long ago).
      expect(leader.paused).toBe(true);
      const reader = world.client({ hosts: followers.flatMap((m) => m.clientOptions().hosts) });
      const keys = await reader.getAll().prefix(`/kratos_etcd/${app}/`).keys();
      expect(events.filter((e) => e.type === "lost")).toEqual([]);
      expect(keys.sort()).toEqual(["a", "b", "c"].map((h) => keyOf(app, h)).sort());
      expect(errors).toEqual([]);
    } finally {
      for (const s of subs) s.unsubscribe();
      // What the leader does on SIGCONT is etcd 3.4's own bug (it may revoke leases it thinks
      // expired, fixed in later releases: docs/etcd.md#a-paused-leader-revokes-leases), and not
      // asserted here.
      leader.resume();
    }
  }, 90_000);
});
