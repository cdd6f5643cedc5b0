/**
 * Reactive load balancers: operators from `Observable<InstancesInfo>` to `Observable<Picker>`.
 * Each set gives a new immutable picker; what a balancer learned about an instance survives the
 * sets in which that instance stays.
 */
export { emptyPicker } from "./picker.js";
export type { BalancerOptions, Picked, Picker, PickRequest, PickResult, TrafficOptions } from "./picker.js";
export { balancer } from "./balancer.js";
export type { BalancerEntry, BalancerSpec, PickDone } from "./balancer.js";
export { roundRobin } from "./round-robin.js";
export { random } from "./random.js";
export type { RandomOptions } from "./random.js";
export { weightedRoundRobin } from "./weighted-round-robin.js";
export type { WeightedRoundRobinOptions } from "./weighted-round-robin.js";
export { p2c } from "./p2c.js";
export type { P2cOptions } from "./p2c.js";
export { ringHash, MAX_RING_REPLICAS } from "./ring-hash.js";
export type {
  EjectedEvent,
  EjectionEvent,
  EjectionOptions,
  FailureRateOptions,
  ReturnedEvent,
} from "./ejection.js";
export type { RingHashOptions } from "./ring-hash.js";
