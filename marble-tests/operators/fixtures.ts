// The marble tests share the unit tests' fixtures.
export * from "../../test/operators/fixtures.js";
export { testScheduler as scheduler } from "../../test/fixtures.js";
