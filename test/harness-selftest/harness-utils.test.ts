import { describe, expect, test } from "vitest";
import { freePort, freePorts, metricSum, parsePrometheus, waitFor } from "../harness/index.js";

describe("harness utilities", () => {
  test("freePort and freePorts give usable, distinct loopback ports", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
  });

  test("waitFor resolves with the first truthy value and treats throws as not yet", async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error("not yet");
        return calls;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(3);
  });

  test("waitFor times out with the message and the last error", async () => {
    await expect(
      waitFor(
        () => {
          throw new Error("etcd says no");
        },
        { timeoutMs: 30, intervalMs: 5, message: "etcd to agree" },
      ),
    ).rejects.toThrow(/etcd to agree not met within 30 ms \(last error: etcd says no\)/);
  });

  test("parsePrometheus reads plain and labelled series; metricSum adds them up", () => {
    const metrics = parsePrometheus(
      [
        "# HELP etcd_debugging_mvcc_watcher_total Total number of watchers.",
        "# TYPE etcd_debugging_mvcc_watcher_total gauge",
        "etcd_debugging_mvcc_watcher_total 3",
        'grpc_server_started_total{grpc_method="Watch",grpc_type="bidi_stream"} 2',
        'grpc_server_started_total{grpc_method="Range",grpc_type="unary"} 5',
        'weird{label="a b } c"} 1.5e+01',
        "",
      ].join("\n"),
    );
    expect(metrics.get("etcd_debugging_mvcc_watcher_total")).toBe(3);
    expect(metricSum(metrics, "grpc_server_started_total")).toBe(7);
    expect(metricSum(metrics, "weird")).toBe(15);
    expect(metricSum(metrics, "absent")).toBe(0);
  });
});
