import type { ChannelOptions, experimental } from "@grpc/grpc-js";
import type { GrpcJs } from "./grpc-js.js";

/** The internal policy of a channel whose app has no instance. */
export const NO_INSTANCES_POLICY = "rxnaming_no_instances";

/**
 * The service config a resolver hands over while its app has no instance: it swaps the channel's
 * policy for one that fails every call at once. Why not just an empty list: pick_first keeps its
 * current connection on an empty list (a deregistered server that still runs keeps the traffic),
 * and on a fresh channel it goes IDLE, so calls wait for their deadline; an error alone keeps
 * whatever addresses a policy has. The next non-empty set comes without a service config, so the
 * channel's own (its `grpc.service_config`, or pick_first) takes over again.
 */
export const noInstancesServiceConfig = {
  loadBalancingConfig: [{ [NO_INSTANCES_POLICY]: {} }],
  methodConfig: [],
};

/** Registers {@link NO_INSTANCES_POLICY}: TRANSIENT_FAILURE with the resolver's message, no subchannel. */
export const registerNoInstancesPolicy = (grpc: GrpcJs): void => {
  const { experimental: x, connectivityState: State } = grpc;

  class Config implements experimental.TypedLoadBalancingConfig {
    getLoadBalancerName(): string {
      return NO_INSTANCES_POLICY;
    }
    toJsonObject(): object {
      return { [NO_INSTANCES_POLICY]: {} };
    }
    static createFromJson(): Config {
      return new Config();
    }
  }

  class NoInstances implements experimental.LoadBalancer {
    constructor(private readonly helper: experimental.ChannelControlHelper) {}
    updateAddressList(
      endpoints: experimental.StatusOr<experimental.Endpoint[]>,
      _config: experimental.TypedLoadBalancingConfig,
      _options: ChannelOptions,
      resolutionNote: string,
    ): boolean {
      const status = endpoints.ok ? { details: resolutionNote } : endpoints.error;
      this.helper.updateState(
        State.TRANSIENT_FAILURE,
        new x.UnavailablePicker(status),
        status.details ?? null,
      );
      return true;
    }
    exitIdle(): void {}
    resetBackoff(): void {}
    destroy(): void {}
    getTypeName(): string {
      return NO_INSTANCES_POLICY;
    }
  }

  x.registerLoadBalancerType(NO_INSTANCES_POLICY, NoInstances, Config);
};
