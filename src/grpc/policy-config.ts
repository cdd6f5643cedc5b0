import type { ChannelOptions, experimental } from "@grpc/grpc-js";
import { NamingError } from "../model/index.js";
import type { PolicyContext, PolicySpec } from "./policy-spec.js";

/**
 * The parsed config of one of our policies, as grpc-js keeps it. A config that cannot be used is
 * kept too, with its `problem`: the channel then fails its calls, saying so
 * (docs/grpc-policies.md#a-config-that-cannot-be-used).
 */
export class PolicyConfig<C> implements experimental.TypedLoadBalancingConfig {
  constructor(
    readonly spec: PolicySpec<C>,
    readonly config: C,
    /** Why the config cannot be used. */
    readonly problem?: NamingError,
    private readonly json?: unknown,
    /** The health service of `{"healthCheck": {"serviceName": ...}}` in the policy's config. */
    readonly healthService?: string,
  ) {}

  getLoadBalancerName(): string {
    return this.spec.name;
  }

  toJsonObject(): object {
    const { name } = this.spec;
    if (this.problem !== undefined) return { [name]: this.json };
    const own = this.spec.toJson(this.config);
    return {
      [name]:
        this.healthService === undefined ? own : { ...own, healthCheck: { serviceName: this.healthService } },
    };
  }
}

/** The service name of a `{ serviceName }` object (gRFC A17), or undefined when absent. */
const healthServiceOf = (value: unknown, name: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  const serviceName = (value as { serviceName?: unknown }).serviceName;
  if (typeof value !== "object" || typeof serviceName !== "string") {
    throw new Error(`${name} must be {"serviceName": "<service>"}, got ${JSON.stringify(value)}`);
  }
  return serviceName;
};

/**
 * A policy's config from its service-config JSON (grpc-js' `createFromJson`). It never throws:
 * grpc-js would fall back to the next config, or to pick_first, and say so only in a debug trace.
 * A config that cannot be used is returned with its problem, as gRPC treats an invalid service
 * config, and `report` is told.
 */
export const parsePolicyConfig = <C>({ spec, report }: PolicyContext<C>, json: unknown): PolicyConfig<C> => {
  try {
    // `healthCheck` is every policy's: the way a resolver-supplied config can ask for health
    // checks, since grpc-js drops a top-level healthCheckConfig
    // (docs/grpc-policies.md#health-checking-healthcheckconfig).
    const { healthCheck, ...rest } =
      typeof json === "object" && json !== null && !Array.isArray(json)
        ? (json as Record<string, unknown>)
        : { healthCheck: undefined };
    const healthService = healthServiceOf(healthCheck, `${spec.name} healthCheck`);
    const config = spec.parse(json === undefined || json === null ? json : rest);
    // Making the balancer checks its options (it subscribes to nothing yet): a value the parser
    // let through must not throw later, inside grpc-js.
    spec.balancer(config);
    return new PolicyConfig(spec, config, undefined, undefined, healthService);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const problem = new NamingError("Decode", `cannot decode load-balancing config ${message}`, {
      key: spec.name,
      cause,
    });
    report(problem);
    return new PolicyConfig(spec, undefined as C, problem, json);
  }
};

/**
 * The health service of the channel's own `grpc.service_config` option. grpc-js drops
 * `healthCheckConfig` from the config it parses, but hands the policies the channel options.
 */
export const channelHealthService = (options: ChannelOptions): string | undefined => {
  const raw: unknown = options["grpc.service_config"];
  if (typeof raw !== "string") return undefined;
  try {
    const parsed = JSON.parse(raw) as { healthCheckConfig?: unknown };
    return healthServiceOf(parsed.healthCheckConfig, "healthCheckConfig");
  } catch {
    return undefined;
  }
};
