import * as E from "fp-ts/lib/Either.js";
import type { ChannelOptions, experimental } from "@grpc/grpc-js";
import { asapScheduler, defer, observeOn, throwError, type Subscription } from "rxjs";
import type { FaceMetricsOptions, Naming } from "../index.js";
import {
  invalidInstance,
  isNamingError,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";
import { INSTANCES_ATTRIBUTE, toResolution } from "./endpoints.js";
import { noInstancesServiceConfig } from "./no-instances-policy.js";
import type { GrpcJs } from "./grpc-js.js";
import { parseTarget, type Target } from "./target.js";

/** What every resolver of one registration shares. */
export interface ResolverContext {
  readonly grpc: GrpcJs;
  readonly naming: Naming;
  /** The client id of `subset=N`. */
  readonly clientId: string;
  /** Where skipped instances and bad targets are told. */
  readonly report: (error: NamingError) => void;
  /** How the policies of its channels record metrics; undefined: they do not. */
  readonly metrics?: FaceMetricsOptions | undefined;
}

type ResolverConstructor = Parameters<GrpcJs["experimental"]["registerResolver"]>[1];

/**
 * The `:authority` of a target's channels: the appid, as warden uses it, when it is a valid host.
 * grpc-js hands the authority to `http2.connect` as a URL, and an appid that is no host there
 * (`demo.v2`: a last label of digits reads as a bad IPv4 address; one with `/` or `_`) would fail
 * every connection with "Invalid URL"; such targets get "localhost" (set `grpc.default_authority`
 * for another). Never throws.
 */
const authorityOfTarget = (path: string): string => {
  const q = path.indexOf("?");
  const appId = (q === -1 ? path : path.slice(0, q)).replace(/^\/+/, "");
  try {
    if (appId !== "" && new URL(`http://${appId}`).host === appId.toLowerCase()) return appId;
  } catch {
    // not a host: the fallback below
  }
  return "localhost";
};

/**
 * The grpc-js resolver class of one registration: one instance per channel, following the app's
 * instances through `naming.build(appId, buildOptions)`. So every channel to one appid shares the
 * naming's one backend watch; `destroy` (channel close, or idle) releases the channel's share and
 * the next `updateResolution` (grpc-js's exit from idle) takes it up again.
 *
 * No instances: the listener gets an `UNAVAILABLE` error naming the app, with a service config
 * that swaps in a policy failing every call at once (see {@link noInstancesServiceConfig}); the
 * next set restores the channel's own policy.
 */
export const namingResolverClass = (context: ResolverContext): ResolverConstructor => {
  const { grpc } = context;
  const { statusOrFromValue, statusOrFromError } = grpc.experimental;

  return class NamingResolver implements experimental.Resolver {
    private readonly target: string;
    private readonly parsed: E.Either<NamingError, Target>;
    private subscription: Subscription | undefined;
    private destroyBuild: (() => void) | undefined;
    /** The instance versions already reported as skipped, by hostname: each is told once. */
    private readonly skipped = new Map<string, Instance>();
    private failureReported = false;

    constructor(
      target: experimental.GrpcUri,
      private readonly listener: experimental.ResolverListener,
      _options: ChannelOptions,
    ) {
      this.target = grpc.experimental.uriToString(target);
      this.parsed = parseTarget(this.target, target.path, context.clientId);
    }

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return authorityOfTarget(target.path);
    }

    updateResolution(): void {
      // A live watch is always current: there is nothing to re-resolve. grpc-js asks again after a
      // connection drops, which the watch reports by itself when the instance really left.
      if (this.subscription !== undefined) return;
      const parsed = this.parsed;
      const sets = E.isLeft(parsed)
        ? throwError(() => parsed.left)
        : defer(() => {
            const resolver = context.naming.build(parsed.right.appId, parsed.right.buildOptions);
            this.destroyBuild = () => void resolver.close();
            return resolver.instances$;
          });
      // asap: grpc-js wants no listener call from within updateResolution, and the first set is
      // replayed synchronously.
      this.subscription = sets.pipe(observeOn(asapScheduler)).subscribe({
        next: (info) => this.deliver(info),
        error: (error: unknown) => this.fail(error),
        complete: () => this.fail(undefined),
      });
    }

    destroy(): void {
      this.subscription?.unsubscribe();
      this.subscription = undefined;
      this.destroyBuild?.();
      this.destroyBuild = undefined;
    }

    private deliver(info: InstancesInfo): void {
      const { endpoints, resolved, skipped } = toResolution(grpc, info);
      for (const { instance, reason } of skipped) {
        if (this.skipped.get(instance.hostname) === instance) continue;
        this.skipped.set(instance.hostname, instance);
        context.report(
          invalidInstance(
            "addrs",
            `of ${instance.appId}/${instance.hostname} ${reason}: gRPC clients of ${this.target} skip it`,
            `${instance.appId}/${instance.hostname}`,
          ),
        );
      }
      if (endpoints.length > 0) {
        this.listener(
          statusOrFromValue(endpoints),
          {
            [INSTANCES_ATTRIBUTE]:
              context.metrics === undefined ? resolved : { ...resolved, metrics: context.metrics },
          },
          null,
          "",
        );
        return;
      }
      const without = skipped.length === 0 ? "" : ` (${skipped.length} skipped: no grpc:// host:port)`;
      this.unavailable(`rxnaming: no instances of app ${info.appId} for ${this.target}${without}`);
    }

    private fail(error: unknown): void {
      // Ended: the next updateResolution (grpc-js retries with backoff) starts over.
      this.destroy();
      // A bad target or appid, told once per channel (grpc-js retries resolution with backoff).
      if (isNamingError(error) && !this.failureReported) {
        this.failureReported = true;
        context.report(error);
      }
      const reason =
        error === undefined
          ? "the naming is closed"
          : isNamingError(error) || error instanceof Error
            ? error.message
            : String(error);
      this.unavailable(`rxnaming: cannot resolve ${this.target}: ${reason}`);
    }

    private unavailable(details: string): void {
      const status = { code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() };
      this.listener(statusOrFromError(status), {}, statusOrFromValue(noInstancesServiceConfig), details);
    }
  };
};
