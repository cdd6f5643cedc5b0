import { asyncScheduler, type SchedulerLike } from "rxjs";
import { numberOption, objectOption, stringOption } from "../model/index.js";
import { ejectionRules, type EjectionRules } from "./ejection.js";

/** The traffic-safety settings every balancer applies, read from its options. */
export interface TrafficRules {
  /** Passive ejection, or undefined for none. */
  readonly ejection: EjectionRules | undefined;
  /** The slow-start window, 0 for none. */
  readonly slowStartMs: number;
  /** The clock and timers of ejections and ramps. */
  readonly scheduler: SchedulerLike;
}

/** The option keys of traffic safety. */
export const TRAFFIC_KEYS = ["ejection", "slowStartMs", "scheduler"] as const;

/** The option keys every built-in balancer takes. */
export const COMMON_KEYS = ["addrScheme", ...TRAFFIC_KEYS] as const;

/** An hour: a longer ramp is a mistake in units rather than a wish. */
export const MAX_SLOW_START_MS = 3_600_000;

/** The address scheme of `owner`'s options, default "grpc". */
export const addrSchemeOption = (owner: string, o: Readonly<Record<string, unknown>>): string =>
  stringOption(`${owner} addrScheme`, o["addrScheme"]) ?? "grpc";

/** The traffic rules (ejection, slow start, scheduler) of `owner`'s options. */
export const trafficRules = (owner: string, o: Readonly<Record<string, unknown>>): TrafficRules => {
  const scheduler = o["scheduler"] ?? asyncScheduler;
  objectOption(`${owner} scheduler`, scheduler, "an RxJS scheduler (with now and schedule)", [
    "now",
    "schedule",
  ]);
  return {
    ejection: ejectionRules(owner, o["ejection"]),
    slowStartMs: numberOption(
      `${owner} slowStartMs`,
      o["slowStartMs"],
      { min: 0, max: MAX_SLOW_START_MS },
      0,
    ),
    scheduler: scheduler as SchedulerLike,
  };
};
