import { get } from "node:http";

/** GET over plain HTTP with a deadline. No keep-alive agent: a pooled socket would outlive the test. */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

/**
 * Parses Prometheus text exposition into series → value. A series without labels is keyed by its
 * name (`etcd_debugging_mvcc_watcher_total`); a labelled one by name and labels as etcd printed them
 * (`grpc_server_started_total{grpc_method="Watch",...}`). Use metricSum to add up all series of a name.
 */
export function parsePrometheus(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    // The value follows the last space outside the label braces; label values may contain spaces.
    const close = line.lastIndexOf("}");
    const split = line.indexOf(" ", close === -1 ? 0 : close);
    if (split === -1) continue;
    const key = line.slice(0, split);
    const rest = line.slice(split + 1).trim();
    const value = Number(rest.split(" ")[0]); // drop an optional timestamp
    if (!Number.isNaN(value) || rest.startsWith("NaN")) series.set(key, value);
  }
  return series;
}

/** The sum of every series of `name` (0 when there is none, as etcd omits unused labelled series). */
export function metricSum(metrics: ReadonlyMap<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of metrics) {
    if (key === name || key.startsWith(`${name}{`)) sum += value;
  }
  return sum;
}
