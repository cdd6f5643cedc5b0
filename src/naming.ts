import type { CoreNaming } from "./core/index.js";
import type { BuildOptions } from "./operators/build-options.js";

/**
 * Kratos' Registry + Builder: register instances, build resolvers of apps. One per backend
 * client; every `build()` of the same appid shares one backend watch. See {@link CoreNaming} for
 * its members and the rule of `close()`.
 */
export type Naming = CoreNaming<BuildOptions>;
