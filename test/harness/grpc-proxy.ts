import { etcdBinary } from "./binaries.js";
import { httpGet, parsePrometheus } from "./metrics.js";
import { freePorts } from "./ports.js";
import { trackResource, untrackResource } from "./registry.js";
import { ServerChild } from "./server-child.js";
import { makeTempDir, removeTempDir } from "./temp-dirs.js";

/**
 * etcd's own gRPC proxy (`etcd grpc-proxy start`, the same binary) in front of a cluster, on free
 * loopback ports. It coalesces identical watches of its clients into one watcher on the cluster.
 * `kill()` and `start()` again keep the ports, so clients configured with `endpoint` reconnect.
 */
export class GrpcProxy {
  /** What clients dial: http://127.0.0.1:PORT. */
  readonly endpoint: string;
  /** The proxy's own /metrics (etcd_grpc_proxy_*), plain HTTP. */
  readonly metricsUrl: string;
  private server: ServerChild | undefined;

  constructor(
    /** Client URLs (host:port) of the cluster members behind the proxy. */
    readonly upstream: readonly string[],
    readonly port: number,
    readonly metricsPort: number,
    private readonly dir: string,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.metricsUrl = `http://127.0.0.1:${metricsPort}`;
    trackResource(this);
  }

  get running(): boolean {
    return this.server?.running ?? false;
  }

  /** The last ~16 KB the proxy wrote, for error messages. */
  outputTail(): string {
    return this.server?.output ?? "";
  }

  /** Spawns the proxy and waits until it serves /metrics (it dials the cluster lazily). */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) throw new Error("grpc-proxy is already running");
    const server = new ServerChild(etcdBinary(), [
      "grpc-proxy",
      "start",
      `--endpoints=${this.upstream.join(",")}`,
      `--listen-addr=127.0.0.1:${this.port}`,
      `--metrics-addr=${this.metricsUrl}`,
      `--data-dir=${this.dir}`,
    ]);
    this.server = server;
    try {
      await server.waitReady(
        "grpc-proxy serving /metrics",
        () =>
          httpGet(`${this.metricsUrl}/metrics`, 1_000).then(
            (r) => r.status === 200,
            () => false,
          ),
        timeoutMs,
        25,
      );
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    await this.server?.kill();
  }

  /** The proxy's /metrics, parsed. */
  async metrics(): Promise<Map<string, number>> {
    const { body } = await httpGet(`${this.metricsUrl}/metrics`, 2_000);
    return parsePrometheus(body);
  }

  async dispose(): Promise<void> {
    untrackResource(this);
    await this.kill();
    removeTempDir(this.dir);
  }
}

/** Starts `etcd grpc-proxy` in front of `upstream` (an etcd or a cluster) on free loopback ports. */
export async function startGrpcProxy(upstream: {
  readonly endpoints?: readonly string[];
  readonly endpoint?: string;
}): Promise<GrpcProxy> {
  const endpoints = upstream.endpoints ?? (upstream.endpoint !== undefined ? [upstream.endpoint] : []);
  const hostPorts = endpoints.map((e) => e.replace(/^https?:\/\//, ""));
  const [port, metricsPort] = (await freePorts(2)) as [number, number];
  const proxy = new GrpcProxy(hostPorts, port, metricsPort, makeTempDir("grpc-proxy"));
  try {
    await proxy.start();
  } catch (error) {
    await proxy.dispose();
    throw error;
  }
  return proxy;
}
