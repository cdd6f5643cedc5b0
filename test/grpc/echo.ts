import * as grpc from "@grpc/grpc-js";

/**
 * A tiny echo service over real gRPC, without protobuf: messages are raw bytes, and each server
 * answers with its own name, so a test sees which server a call reached.
 */
const raw = (b: Buffer): Buffer => b;
export const echoService: grpc.ServiceDefinition = {
  echo: {
    path: "/rxnaming.test.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

export const EchoClient = grpc.makeGenericClientConstructor(echoService, "Echo");

/** A running echo server on 127.0.0.1 with knobs for tests. */
export interface EchoServer {
  readonly name: string;
  readonly port: number;
  /** "grpc://127.0.0.1:<port>" */
  readonly addr: string;
  /** Calls answered (or failed) so far. */
  calls: number;
  /** Answer this many ms late. */
  delayMs: number;
  /** Fail every call with this status code. */
  failWith: grpc.status | undefined;
  stop(): Promise<void>;
}

/** An echo server named `name`, on `port` (default: any free one). */
export const startEcho = (name: string, port = 0): Promise<EchoServer> => startEchoWith(name, port);

/** An echo server as {@link startEcho}, with more services added by `setup`. */
export const startEchoWith = async (
  name: string,
  port = 0,
  setup?: (server: grpc.Server) => void,
): Promise<EchoServer> => {
  const server = new grpc.Server();
  setup?.(server);
  const state: EchoServer = {
    name,
    port: 0,
    addr: "",
    calls: 0,
    delayMs: 0,
    failWith: undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
  server.addService(echoService, {
    echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      state.calls++;
      const answer = () =>
        state.failWith === undefined
          ? callback(null, Buffer.from(name))
          : callback({ code: state.failWith, details: `${name} fails` });
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return Object.assign(state, { port: bound, addr: `grpc://127.0.0.1:${bound}` });
};

/** The outcome of one call: the server's name, or the status code and details of its failure. */
export type Outcome = { ok: true; server: string } | { ok: false; code: grpc.status; details: string };

/** One echo call with a deadline. */
export const call = (
  client: grpc.Client,
  options: { deadlineMs?: number; metadata?: grpc.Metadata } = {},
): Promise<Outcome> =>
  new Promise((resolve) => {
    const deadline = Date.now() + (options.deadlineMs ?? 5_000);
    (
      client as unknown as {
        echo(
          m: Buffer,
          md: grpc.Metadata,
          o: grpc.CallOptions,
          cb: (e: grpc.ServiceError | null, r?: Buffer) => void,
        ): void;
      }
    ).echo(Buffer.from("hi"), options.metadata ?? new grpc.Metadata(), { deadline }, (error, reply) =>
      resolve(
        error === null
          ? { ok: true, server: reply!.toString() }
          : { ok: false, code: error.code, details: error.details },
      ),
    );
  });

/** A client of `target` with a load-balancing policy. */
export const client = (
  target: string,
  policy: object = { round_robin: {} },
  extra: grpc.ChannelOptions = {},
) =>
  new EchoClient(target, grpc.credentials.createInsecure(), {
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [policy] }),
    ...extra,
  });

/** `n` calls, `concurrency` at a time; how many reached each server (failures under "!code"). */
export const spread = async (
  c: grpc.Client,
  n: number,
  concurrency = 1,
  metadata?: () => grpc.Metadata,
): Promise<Map<string, number>> => {
  const counts = new Map<string, number>();
  let started = 0;
  const worker = async () => {
    while (started < n) {
      started++;
      const o = await call(c, metadata ? { metadata: metadata() } : {});
      const key = o.ok ? o.server : `!${o.code}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
};

/** The outlier_detection config of gRFC A50 around `child`: durations are objects, as grpc-js needs. */
export const outlierDetection = (child: object) => ({
  loadBalancingConfig: [
    {
      outlier_detection: {
        interval: { seconds: 1, nanos: 0 },
        base_ejection_time: { seconds: 30, nanos: 0 },
        max_ejection_time: { seconds: 300, nanos: 0 },
        max_ejection_percent: 10,
        failure_percentage_ejection: {
          threshold: 50,
          enforcement_percentage: 100,
          minimum_hosts: 5,
          request_volume: 10,
        },
        child_policy: [child],
      },
    },
  ],
});
