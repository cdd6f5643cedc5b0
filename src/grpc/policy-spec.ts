import type { Metadata } from "@grpc/grpc-js";
import type { OperatorFunction } from "rxjs";
import type { EjectionEvent, Picker, PickRequest } from "../balancers/index.js";
import type { InstancesInfo, NamingError } from "../model/index.js";
import type { GrpcJs } from "./grpc-js.js";

/** What makes one of our load-balancing policies: its name, its config, and a balancer. */
export interface PolicySpec<C> {
  /** The name in service config, e.g. `rxnaming_p2c`. */
  readonly name: string;
  /** The policy's config from its service-config JSON; throws an Error naming what is wrong. */
  parse(json: unknown): C;
  toJson(config: C): object;
  /**
   * The balancer (from `src/balancers`) over the READY instances; `onEvent`, when given, is told
   * of its ejections (metrics).
   */
  balancer(config: C, onEvent?: (event: EjectionEvent) => void): OperatorFunction<InstancesInfo, Picker>;
  /** What the balancer is told about a call, e.g. the hash key from a header. */
  request?(config: C, metadata: Metadata): PickRequest | undefined;
  /**
   * Feed the balancer every endpoint, not only the READY ones, and tell each pick which are
   * READY (`PickRequest.usable`). For ring hash: its ring, and so where each key goes, then does
   * not change while some other endpoint connects or fails, and a key whose endpoint is down for
   * a moment comes back to it.
   */
  readonly wholeSet?: boolean;
  /**
   * The balancer learns from how each call ended (p2c counts calls in flight): a call grpc-js
   * picked but never started is then reported to it as not sent. The others' `done` does nothing,
   * and their picks are not tracked.
   */
  readonly learns?: boolean;
}

/**
 * What the classes of one registered policy share: grpc-js is loaded at run time (an optional
 * peer), so it is handed to them rather than imported.
 */
export interface PolicyContext<C> {
  readonly grpc: GrpcJs;
  readonly spec: PolicySpec<C>;
  /** Hears a config that cannot be used. */
  readonly report: (error: NamingError) => void;
}
