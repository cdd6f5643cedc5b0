/**
 * The key layouts by name, for the command line, which takes a layout from its user and checks
 * an appid against it before it connects. Not among the package's exports: a layout is chosen by
 * name (`etcdNaming(client, { layout: "go-zero" })`), see docs/architecture.md#the-public-surface.
 */
export { layoutNamed, layoutNames, type LayoutName } from "./backends/layouts/index.js";
export type { KeyLayout } from "./port/index.js";
