import type { experimental } from "@grpc/grpc-js";
import type { NamingError } from "../model/index.js";
import type { GrpcJs } from "./grpc-js.js";
import { PickerLoadBalancer } from "./picker-load-balancer.js";
import { parsePolicyConfig, PolicyConfig } from "./policy-config.js";
import type { PolicyContext, PolicySpec } from "./policy-spec.js";

/**
 * Registers one of our policies with grpc-js under `spec.name`: a {@link PickerLoadBalancer} per
 * channel that uses it, and its config parsed by {@link parsePolicyConfig}. grpc-js makes both
 * from classes (`new Balancer(helper)`, `Config.createFromJson(json)`), so each registration
 * gets two small classes that hand them this policy's context
 * (docs/grpc-policies.md#how-a-policy-is-built).
 */
export const registerPolicy = <C>(
  grpc: GrpcJs,
  spec: PolicySpec<C>,
  report: (error: NamingError) => void,
): void => {
  const context: PolicyContext<C> = { grpc, spec, report };
  grpc.experimental.registerLoadBalancerType(
    spec.name,
    class extends PickerLoadBalancer<C> {
      constructor(helper: experimental.ChannelControlHelper) {
        super(helper, context);
      }
    },
    class extends PolicyConfig<C> {
      static createFromJson(json: unknown): PolicyConfig<C> {
        return parsePolicyConfig(context, json);
      }
    },
  );
};
