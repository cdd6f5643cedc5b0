/**
 * Entry of a scenario process: `node --expose-gc child.js '<ScenarioParams as JSON>'`, started by
 * the bench (./run.ts) on the compiled sources. Reports its result (or error) over IPC and exits.
 */
import { churn } from "./churn.js";
import { send } from "./child-support.js";
import { coldStart } from "./cold-start.js";
import { consumers } from "./consumers.js";
import { gateway } from "./gateway.js";
import { heap } from "./heap.js";
import type { MicroParams, MicroResult, ScenarioParams } from "./fixtures.js";
import { appSetConsumer, churnEvents, cpuPerEvent, mapConsumer } from "./micro.js";
import { registrations } from "./registrations.js";

const micro = (p: MicroParams): MicroResult => {
  const events = churnEvents(p.instances, 2 * p.events);
  return {
    mapUs: cpuPerEvent(mapConsumer(p.instances), events),
    appSetUs: cpuPerEvent(appSetConsumer(p.instances, false), events),
    appSetReadUs: cpuPerEvent(appSetConsumer(p.instances, true), events),
  };
};

const run = async (p: ScenarioParams): Promise<unknown> => {
  switch (p.scenario) {
    case "consumers":
      return consumers(p);
    case "cold-start":
      return coldStart(p);
    case "churn":
      return churn(p);
    case "registrations":
      return registrations(p);
    case "micro":
      return micro(p);
    case "gateway":
      return gateway(p);
    case "heap":
      return heap(p);
  }
};

const params = JSON.parse(process.argv[2] ?? "null") as ScenarioParams;
run(params).then(
  async (result) => {
    await send({ type: "result", result });
    process.exit(0);
  },
  async (e: unknown) => {
    await send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exit(1);
  },
);
