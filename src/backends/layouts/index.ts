/** Key layouts: where a backend keeps each app's instances, and how their values look. */
import { invalidOption } from "../../model/index.js";
import type { KeyLayout } from "../../port/index.js";
import { etcdEndpointsLayout } from "./etcd-endpoints.js";
import { goZeroLayout } from "./go-zero.js";
import { kratosV1Layout } from "./kratos-v1.js";
import { kratosV2Layout } from "./kratos-v2.js";

export { kratosV1Layout } from "./kratos-v1.js";
export { kratosV2Layout } from "./kratos-v2.js";
export { etcdEndpointsLayout } from "./etcd-endpoints.js";
export { goZeroLayout } from "./go-zero.js";

/**
 * The layouts a naming can be asked for by name, each with its default prefix:
 * "kratos-v1" (`kratos_etcd`), "kratos-v2" (`/microservices`), "etcd-endpoints" (none),
 * "go-zero" (none).
 */
export type LayoutName = "kratos-v1" | "kratos-v2" | "etcd-endpoints" | "go-zero";

const layouts: Readonly<Record<LayoutName, (prefix?: string) => KeyLayout>> = {
  "kratos-v1": kratosV1Layout,
  "kratos-v2": kratosV2Layout,
  "etcd-endpoints": etcdEndpointsLayout,
  "go-zero": goZeroLayout,
};

/** The names {@link layoutNamed} knows, in the order the docs list them. */
export const layoutNames = Object.keys(layouts) as readonly LayoutName[];

/**
 * The layout of that name, with `prefix` or the layout's default prefix. An unknown name (from
 * untyped JavaScript, a config file, a CLI flag) or a bad prefix is an `InvalidOption` error,
 * thrown, as a naming's other options are.
 *
 * @example
 * etcdNaming(client, { layout: "go-zero" }) // uses layoutNamed("go-zero", undefined)
 */
export const layoutNamed = (name: string, prefix?: string): KeyLayout => {
  if (!Object.hasOwn(layouts, name)) {
    throw invalidOption("layout", `must be one of ${layoutNames.join(", ")}, got ${JSON.stringify(name)}`);
  }
  return layouts[name as LayoutName](prefix);
};
