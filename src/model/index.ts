export * from "./naming-error.js";
export * from "./instance.js";
export * from "./instance-codec.js";
export * from "./instances-info.js";
export {
  validateInstance,
  nameProblem,
  appIdProblem,
  addrProblem,
  textProblem,
  describeValue,
  quoted,
} from "./validate.js";
export { eqStrings } from "./eq.js";
export * from "./options.js";
