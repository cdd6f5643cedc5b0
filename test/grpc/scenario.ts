import * as E from "fp-ts/lib/Either.js";
import type { Subscription } from "rxjs";
import { expect } from "vitest";
import { instance, type InstanceInput, type Naming } from "../../src/index.js";
import { waitFor } from "../harness/wait-for.js";
import { call, client, spread, startEcho, type EchoServer } from "./echo.js";

/** Registrations of one test, ended by `dispose`. */
export class Registrations {
  private readonly subs = new Map<string, Subscription>();
  constructor(
    private readonly naming: Naming,
    readonly appId: string,
  ) {}

  add(hostname: string, addrs: readonly string[], fields: InstanceInput = {}): void {
    const i = instance({ appId: this.appId, hostname, addrs, ...fields });
    if (E.isLeft(i)) throw i.left;
    this.subs.set(hostname, this.naming.register(i.right).subscribe());
  }

  remove(hostname: string): void {
    this.subs.get(hostname)?.unsubscribe();
    this.subs.delete(hostname);
  }

  dispose(): void {
    for (const h of [...this.subs.keys()]) this.remove(h);
  }
}

/** Calls one at a time until `ok` holds for `streak` calls in a row; resolves with when the streak began. */
const streakSince = async (
  c: ReturnType<typeof client>,
  ok: (o: Awaited<ReturnType<typeof call>>) => boolean,
  streak = 10,
  timeoutMs = 5_000,
): Promise<number> => {
  const deadline = performance.now() + timeoutMs;
  let since = performance.now();
  let run = 0;
  while (performance.now() < deadline) {
    const before = performance.now();
    const o = await call(c, { deadlineMs: 2_000 });
    if (ok(o)) {
      if (run === 0) since = before;
      if (++run >= streak) return since;
    } else run = 0;
  }
  throw new Error(`no streak of ${streak} within ${timeoutMs} ms`);
};

/**
 * The lifecycle the issue asks for, on any naming: round_robin over three echo servers reaches
 * all three; a deregistered one loses its traffic within 1 s; a fourth joins; all gone fails calls
 * with UNAVAILABLE within 1 s; a new registration makes the same channel work again.
 */
export const lifecycle = async (naming: Naming, scheme: string, appId: string): Promise<void> => {
  const servers: EchoServer[] = await Promise.all(["s1", "s2", "s3", "s4"].map(startEcho));
  const regs = new Registrations(naming, appId);
  const c = client(`${scheme}:///${appId}`);
  try {
    for (const s of servers.slice(0, 3)) regs.add(s.name, [`http://127.0.0.1:1`, s.addr]);

    const all = await waitFor(
      async () => {
        const counts = await spread(c, 30);
        return counts.size === 3 && ["s1", "s2", "s3"].every((n) => counts.get(n) === 10)
          ? counts
          : undefined;
      },
      { timeoutMs: 10_000, message: "round robin over s1, s2, s3" },
    );
    expect([...all.keys()].sort()).toEqual(["s1", "s2", "s3"]);

    // Deregistered: off within 1 s of the deletion (a streak of calls that all avoid it).
    const removedAt = performance.now();
    regs.remove("s2");
    const off = await streakSince(c, (o) => o.ok && o.server !== "s2", 15);
    expect(off - removedAt).toBeLessThan(1_000);
    const after = await spread(c, 20);
    expect(after.get("s2")).toBeUndefined();
    expect(after.get("s1")).toBe(10);

    // A fourth joins.
    regs.add("s4", [servers[3]!.addr]);
    await waitFor(async () => (await spread(c, 9)).get("s4") === 3, { message: "s4 gets a third" });

    // All gone: UNAVAILABLE at once, naming the app.
    const goneAt = performance.now();
    for (const h of ["s1", "s3", "s4"]) regs.remove(h);
    const failing = await streakSince(c, (o) => !o.ok && o.code === 14, 3);
    expect(failing - goneAt).toBeLessThan(1_000);
    const failed = await call(c, { deadlineMs: 5_000 });
    expect(failed).toMatchObject({ ok: false, code: 14 });
    expect(failed.ok ? "" : failed.details).toContain(appId);
    const t = performance.now();
    await call(c, { deadlineMs: 5_000 });
    expect(performance.now() - t).toBeLessThan(500); // failed at once, not at the deadline

    // Back: the same channel works again.
    regs.add("s3", [servers[2]!.addr]);
    await waitFor(
      async () => {
        const o = await call(c, { deadlineMs: 2_000 });
        return o.ok && o.server === "s3";
      },
      { message: "s3 back on the same channel" },
    );
  } finally {
    c.close();
    regs.dispose();
    await Promise.all(servers.map((s) => s.stop()));
  }
};
