// The marble tests share the unit tests' fixtures.
export * from "../../test/balancers/fixtures.js";
export { testScheduler as scheduler } from "../../test/fixtures.js";
