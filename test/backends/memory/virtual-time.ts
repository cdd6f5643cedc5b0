import { VirtualTimeScheduler } from "rxjs";

/** A virtual clock that a test moves forward by hand (a TestScheduler in run mode would flush forever with keep-alives). */
export const virtualClock = () => {
  const scheduler = new VirtualTimeScheduler();
  const advanceTo = (t: number): void => {
    scheduler.maxFrames = t;
    scheduler.flush();
    scheduler.frame = t;
  };
  return {
    scheduler,
    advanceTo,
    advanceBy: (ms: number): void => advanceTo(scheduler.frame + ms),
    now: (): number => scheduler.frame,
  };
};
