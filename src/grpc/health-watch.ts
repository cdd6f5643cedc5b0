import type { experimental, Metadata as MetadataClass } from "@grpc/grpc-js";
import type { GrpcJs } from "./grpc-js.js";

/** The method of gRFC A17's health watch. */
const WATCH = "/grpc.health.v1.Health/Watch";
/** HealthCheckResponse.ServingStatus.SERVING. */
const SERVING = 1;
/** The names of HealthCheckResponse.ServingStatus, as metrics report them. */
const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** A gRPC message frame (uncompressed) of `HealthCheckRequest { service }`. */
const watchRequest = (service: string): Buffer => {
  const name = Buffer.from(service, "utf8");
  // Field 1, length-delimited; a service name is short, but its length is a varint all the same.
  const length: number[] = [];
  for (let n = name.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  const body = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...length]), name]);
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
};

/** The status of a framed `HealthCheckResponse` (field 1, varint); 0 (UNKNOWN) when absent. */
const servingStatus = (frame: Buffer): number => {
  const body = frame.subarray(5);
  for (let i = 0; i < body.length;) {
    const tag = body[i++]!;
    if (tag === 0x08) return body[i] ?? 0;
    // Anything else: skip a varint or a length-delimited field.
    if ((tag & 7) === 0) {
      while (i < body.length && (body[i++]! & 0x80) !== 0);
    } else if ((tag & 7) === 2) {
      i += (body[i] ?? 0) + 1;
    } else return 0;
  }
  return 0;
};

/**
 * gRFC A17's client-side health check on one subchannel: a wrapper whose health follows the
 * server's `grpc.health.v1.Health/Watch` for `service` while the subchannel is READY. SERVING is
 * healthy, any other status unhealthy; a server without the health service (UNIMPLEMENTED) is
 * healthy; a stream that breaks is opened again after a backoff (1 s doubling to 30 s), keeping
 * the last status meanwhile. grpc-js' leaf policy reports an unhealthy subchannel as
 * TRANSIENT_FAILURE, so the policies leave it out as they do a broken connection.
 *
 * `onState`, when given, hears the first state learned and each change: a ServingStatus name, or
 * `UNIMPLEMENTED` for a server without the health service.
 *
 * grpc-js has no public way to call one subchannel: this uses `Subchannel.createCall`, typed but
 * internal, and is the only module that does (docs/grpc-policies.md#health-checking-healthcheckconfig).
 */
export const healthCheckedSubchannel = (
  grpc: GrpcJs,
  child: experimental.SubchannelInterface,
  service: string,
  onState?: (state: string) => void,
): experimental.SubchannelInterface => {
  const { connectivityState: State, status: Status } = grpc;

  class HealthChecked extends grpc.experimental.BaseSubchannelWrapper {
    private call: { cancelWithStatus(status: number, details: string): void } | undefined;
    private retry: NodeJS.Timeout | undefined;
    private backoffMs = 1_000;
    private state: string | undefined;

    constructor() {
      super(child);
      child.addConnectivityStateListener((_sub, _previous, state) => {
        // Told of READY before the subchannel holds its transport: the watch starts a turn later.
        if (state === State.READY) queueMicrotask(() => this.watch());
        else this.stop();
      });
      if (child.getConnectivityState() === State.READY) this.watch();
    }

    private watch(): void {
      if (this.call !== undefined) return;
      clearTimeout(this.retry);
      this.retry = undefined;
      let real: ReturnType<experimental.SubchannelInterface["getRealSubchannel"]>;
      try {
        real = child.getRealSubchannel();
      } catch {
        return;
      }
      if (child.getConnectivityState() !== State.READY) return;
      const Metadata = grpc.Metadata as typeof MetadataClass;
      let answered = false;
      let call: ReturnType<typeof real.createCall>;
      try {
        call = real.createCall(new Metadata(), real.getAddress(), WATCH, {
          onReceiveMetadata: () => undefined,
          onReceiveMessage: (message: Buffer) => {
            answered = true;
            this.backoffMs = 1_000;
            const status = servingStatus(message);
            this.learned(STATUS_NAMES[status] ?? "UNKNOWN");
            this.setHealthy(status === SERVING);
            call.startRead();
          },
          onReceiveStatus: (status) => {
            this.call = undefined;
            if (status.code === Status.UNIMPLEMENTED) {
              // gRFC A17: a server without the health service is taken to be healthy.
              this.learned("UNIMPLEMENTED");
              this.setHealthy(true);
              return;
            }
            if (child.getConnectivityState() !== State.READY) return;
            const delay = answered ? 0 : this.backoffMs;
            if (!answered) this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
            this.again(delay);
          },
        });
      } catch {
        // Not READY after all (a race with a disconnect): try again after the backoff.
        this.again(this.backoffMs);
        return;
      }
      this.call = call;
      call.sendMessageWithContext({}, watchRequest(service));
      call.halfClose();
      call.startRead();
    }

    private learned(state: string): void {
      if (state === this.state) return;
      this.state = state;
      onState?.(state);
    }

    private again(delayMs: number): void {
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.watch(), delayMs);
      this.retry.unref?.();
    }

    private stop(): void {
      clearTimeout(this.retry);
      this.retry = undefined;
      this.call?.cancelWithStatus(Status.CANCELLED, "subchannel no longer READY");
      this.call = undefined;
    }
  }

  return new HealthChecked();
};
