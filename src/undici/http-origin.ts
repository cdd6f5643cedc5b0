import type { Instance } from "../index.js";

const origins = new WeakMap<Instance, string | null>();

/**
 * The origin (`http://host:port`) requests to `instance` go to: its first `http://` or `https://`
 * address, or `undefined` when it has none. Kept per instance object, which the core keeps
 * identical while the instance does not change.
 */
export const httpOrigin = (instance: Instance): string | undefined => {
  let origin = origins.get(instance);
  if (origin === undefined) {
    const addr = instance.addrs.find((a) => a.startsWith("http://") || a.startsWith("https://"));
    origin = addr === undefined ? null : new URL(addr).origin;
    origins.set(instance, origin);
  }
  return origin ?? undefined;
};
