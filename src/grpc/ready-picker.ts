import * as O from "fp-ts/lib/Option.js";
import type { experimental } from "@grpc/grpc-js";
import type { Picked, Picker, PickResult } from "../balancers/index.js";
import type { GrpcJs } from "./grpc-js.js";
import type { PolicyContext } from "./policy-spec.js";
import { UnstartedCalls } from "./unstarted-calls.js";

/** Picks of learning balancers whose calls have not started (one watch for every channel). */
const unstarted = new UnstartedCalls();

/**
 * What a call's status tells the balancer about the endpoint, as Kratos' warden counts only
 * server errors (docs/grpc-policies.md#what-a-calls-status-teaches-the-balancer): a failure, a
 * call that taught nothing (the client cancelled it), or undefined: the endpoint served it (a
 * DEADLINE_EXCEEDED is learned as its latency, a slow call rather than a failure).
 */
export const callOutcome = (
  status: GrpcJs["status"],
  code: number,
  details: string,
): PickResult | undefined =>
  code === status.UNAVAILABLE ||
  code === status.INTERNAL ||
  code === status.RESOURCE_EXHAUSTED ||
  code === status.DATA_LOSS
    ? { error: { code, details } }
    : code === status.CANCELLED
      ? { notSent: true }
      : undefined;

/**
 * The channel's picker while READY: a snapshot, as grpc-js pickers are. It asks the balancer's
 * picker, picks with the chosen endpoint's own subchannel picker, and hands the call's outcome
 * back to the balancer's pick (`done`) through grpc-js' `onCallEnded`.
 */
export class ReadyPicker<C> implements experimental.Picker {
  constructor(
    private readonly context: PolicyContext<C>,
    private readonly picker: Picker,
    /** The picker of each READY endpoint, by address. */
    private readonly ready: ReadonlyMap<string, experimental.Picker>,
    private readonly config: C,
  ) {}

  private readonly usable = (addr: string): boolean => this.ready.has(addr);

  pick(args: experimental.PickArgs): experimental.PickResult {
    const { grpc, spec } = this.context;
    const request = spec.request?.(this.config, args.metadata);
    const choice = this.picker.pick(spec.wholeSet === true ? { ...request, usable: this.usable } : request);
    // The balancer saw exactly the READY set (or was told which are), so both lookups hit; the
    // fallback is for safety.
    const picked: Picked | undefined = O.isSome(choice) ? choice.value : undefined;
    const leaf = picked === undefined ? undefined : this.ready.get(picked.addr);
    // Nothing was sent to the endpoint in these two: not its failure, only not in flight.
    if (picked === undefined || leaf === undefined) {
      picked?.done({ notSent: true });
      return this.ready.values().next().value!.pick(args);
    }
    const result = leaf.pick(args);
    if (result.pickResultType !== grpc.experimental.PickResultType.COMPLETE) {
      picked.done({ notSent: true });
      return result;
    }
    const { onCallStarted, onCallEnded } = result;
    const ended: typeof onCallEnded = (code, details, metadata) => {
      onCallEnded?.(code, details, metadata);
      picked.done(callOutcome(grpc.status, code, details));
    };
    if (spec.learns !== true) return { ...result, onCallEnded: ended };
    let id = 0; // set below: the result must exist before it is watched
    const complete: typeof result = {
      ...result,
      onCallStarted: () => {
        unstarted.started(id, picked);
        onCallStarted?.();
      },
      onCallEnded: ended,
    };
    id = unstarted.picked(picked, complete);
    return complete;
  }
}
