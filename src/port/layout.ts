import type * as E from "fp-ts/lib/Either.js";
import type { Instance, KeyContext, NamingError } from "../model/index.js";

/**
 * Where a backend keeps the instances of an app, and how their values look: one small module per
 * layout (Kratos v1, Kratos v2, etcd's gRPC naming, go-zero) beside the backends. The core never
 * builds or parses a key itself; it asks the backend's layout, and passes keys along opaque.
 *
 * Every layout keeps all instances of an app under one prefix and names each by one key whose
 * last segment identifies it, so a key alone (a delete carries no value) says which instance
 * it was: that identity is the instance's hostname.
 */
export interface KeyLayout {
  /** The layout's name: "kratos-v1", "kratos-v2", "etcd-endpoints", "go-zero". */
  readonly name: string;
  /** Why this layout cannot hold `appId` (one with "/" where keys would split), or undefined. */
  appIdProblem(appId: string): string | undefined;
  /** The prefix under which every instance of `appId` lives; it ends with "/". */
  appPrefix(appId: string): string;
  /** The key of `instance` when written under lease `leaseId` (go-zero puts the lease in its key). */
  keyOf(instance: Instance, leaseId: string): string;
  /**
   * The hostname that a key under `appPrefix(appId)` names, or why it names none (a
   * {@link KeyMisfit}).
   */
  hostnameOf(appId: string, key: string): string | KeyMisfit;
  /**
   * The value stored for an instance, byte for byte as the layout's own writers store it. An
   * instance the layout cannot hold (go-zero and etcd-endpoints need a grpc:// address) throws
   * an `InvalidInstance` NamingError, which the registration reports as its error.
   */
  encode(instance: Instance): string;
  /** The instance stored at `key` (named `hostname` of `appId`); a `Decode` error naming the key. */
  decode(where: KeyContext, value: string): E.Either<NamingError, Instance>;
}

/**
 * A key that names no instance of the app: one that does not fit the layout (reported as a
 * `Decode` error naming `problem`, then skipped), or one of another app nested under this one
 * ("svc/echo/x" under "svc/", in the layouts whose appIds hold "/"), skipped quietly.
 */
export type KeyMisfit =
  { readonly _tag: "Misfit"; readonly problem: string } | { readonly _tag: "NestedApp" };
