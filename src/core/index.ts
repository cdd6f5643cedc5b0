export { createNaming, type CoreNaming, type CoreNamingOptions } from "./core-naming.js";
export type { Resolver } from "./resolver.js";
export type { AwaitableTask } from "./awaitable-task.js";
export type { RegisterOptions, RegistrationEvent, Registered, Updated, Lost } from "./registration.js";
export { backoffDelay, type BackoffOptions } from "./backoff.js";
export { InstanceList } from "./instance-list.js";
export { MAX_TTL_SECONDS, registerOptionsProblem, withCheckedRegister } from "./register-options.js";
