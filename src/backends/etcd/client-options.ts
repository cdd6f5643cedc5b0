import { ConsecutiveBreaker, circuitBreaker, handleWhen, noop, retry } from "cockatiel";
import { GRPCCancelledError, isRecoverableError, type IOptions } from "etcd3";

/**
 * The largest message the client accepts: etcd's own Go client's default (2^31 - 1 bytes), so
 * that whatever etcd may send (a value up to its `--max-request-bytes`, raised or not) is read.
 * rxnaming keeps its own messages far smaller: range pages of about 2 MB, and fragmented watch
 * responses (see docs/hostile-input.md).
 */
export const MAX_RECEIVE_BYTES = 2 ** 31 - 1;

/**
 * `etcd3` client options that suit rxnaming:
 * - a receive limit that fits any message etcd sends (2^31 - 1 bytes, as etcd's Go client), where grpc-js'
 *   default of 4 MB refuses three values near etcd's 1.5 MiB limit in one answer;
 * - gRPC keep-alive, so that a hung or silently partitioned member is noticed in seconds
 *   (the client does not notice by default);
 * - a reconnect backoff of at most 1 s (gRPC's default grows to 2 minutes), so a member that is
 *   back is used again within a second, and rxnaming need not re-make its connections (which
 *   leaks them in grpc-js 1.14, see `Members.failed`);
 * - a per-host circuit breaker that does not count cancelled calls (cancelling a watch stream
 *   counted as a failure and opened the breaker) — and none at all for a single host,
 *   where there is nowhere else to go;
 * (rxnaming runs its own watch stream, with fast reconnects, so the watch backoff does not matter.)
 *
 * rxnaming works with any client, but these are what its fault tests run with.
 *
 * @example
 * const client = new Etcd3(etcdClientOptions({ hosts: ["http://127.0.0.1:2379"] }));
 * const naming = etcdNaming(client);
 */
export const etcdClientOptions = (options: IOptions): IOptions => {
  const hosts = typeof options.hosts === "string" ? [options.hosts] : (options.hosts ?? []);
  const countsAsFailure = handleWhen((e) => isRecoverableError(e) && !(e instanceof GRPCCancelledError));
  return {
    ...options,
    grpcOptions: {
      "grpc.keepalive_time_ms": 5_000,
      "grpc.keepalive_timeout_ms": 2_000,
      "grpc.initial_reconnect_backoff_ms": 500,
      "grpc.max_reconnect_backoff_ms": 1_000,
      "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
      // Not "grpc.keepalive_permit_without_calls": etcd treats pings on a connection without a
      // stream as abuse and answers GOAWAY too_many_pings after three, and grpc-js then doubles its
      // ping interval. A naming's watch or keep-alive stream
      // is open whenever it has something to lose; its unary calls carry their own deadlines.
      ...options.grpcOptions,
    },
    faultHandling: {
      host: () =>
        hosts.length <= 1
          ? noop
          : circuitBreaker(countsAsFailure, { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) }),
      global: retry(countsAsFailure, { maxAttempts: Math.max(1, hosts.length - 1) }),
      ...options.faultHandling,
    },
  };
};
