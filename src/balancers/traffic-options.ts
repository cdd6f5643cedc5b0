import { asyncScheduler, type SchedulerLike } from "rxjs";
import { invalidOption } from "../model/index.js";
import type { TrafficRules } from "./balancer.js";
import { describeValue, numberOption, stringOption } from "./balancer-options.js";
import { ejectionRules } from "./ejection.js";

/** The option keys every balancer takes. */
export const COMMON_KEYS = ["addrScheme", "ejection", "slowStartMs", "scheduler"] as const;

/** An hour: a longer ramp is a mistake in units rather than a wish. */
export const MAX_SLOW_START_MS = 3_600_000;

const isScheduler = (value: unknown): value is SchedulerLike =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as SchedulerLike).now === "function" &&
  typeof (value as SchedulerLike).schedule === "function";

/** The address scheme of `owner`'s options, default "grpc". */
export const addrSchemeOption = (owner: string, o: Readonly<Record<string, unknown>>): string =>
  stringOption(`${owner} addrScheme`, o["addrScheme"], "grpc");

/** The traffic rules (ejection, slow start, scheduler) of `owner`'s options. */
export const trafficRules = (owner: string, o: Readonly<Record<string, unknown>>): TrafficRules => {
  const scheduler = o["scheduler"] ?? asyncScheduler;
  if (!isScheduler(scheduler)) {
    throw invalidOption(
      `${owner} scheduler`,
      `must be an RxJS scheduler (with now and schedule), got ${describeValue(scheduler)}`,
    );
  }
  return {
    ejection: ejectionRules(owner, o["ejection"]),
    slowStartMs: numberOption(`${owner} slowStartMs`, o["slowStartMs"], 0, {
      min: 0,
      max: MAX_SLOW_START_MS,
    }),
    scheduler,
  };
};
