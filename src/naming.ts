import type { Observable } from "rxjs";
import type { RegisterOptions, RegistrationEvent, Resolver } from "./core/index.js";
import type { Instance, NamingError } from "./model/index.js";
import type { BuildOptions } from "./operators/build-options.js";

/**
 * Kratos' Registry + Builder: register instances, build resolvers of apps. One per backend
 * client; every `build()` of the same appid shares one backend watch.
 *
 * Closing is one rule: `close()` completes every open watch and ends every registration (keys
 * deleted); after it, whatever was made before or after, subscribing to `register` or to a
 * resolver's streams fails with `Closed`, and `fetch()` gives a `Closed` Left.
 */
export interface Naming {
  /** Kratos' Builder.Scheme: "etcd", "memory" or "zookeeper"; the gRPC target scheme. */
  readonly scheme: string;
  /**
   * Registers an instance for as long as the subscription lasts: grants a lease, writes the key,
   * keeps the lease alive, re-grants it when lost; unsubscribing revokes it (the key goes at once).
   * An `Observable<Instance>` updates the stored value on each emission.
   */
  register(
    instance: Instance | Observable<Instance>,
    options?: RegisterOptions,
  ): Observable<RegistrationEvent>;
  /** A resolver of an app (Kratos Builder.Build); every one of the same app shares one watch. */
  build(appId: string, options?: BuildOptions): Resolver;
  /** Decode errors, backend faults, lease losses: for logs and metrics. Completes on close. */
  readonly errors$: Observable<NamingError>;
  /** The appids this naming watches now, lingering watches included: for diagnostics. */
  apps(): readonly string[];
  /** Ends every watch (instances$ complete) and every registration (keys deleted). */
  close(): Promise<void>;
}
