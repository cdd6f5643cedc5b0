import { createRequire } from "node:module";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import type GrpcJsModule from "@grpc/grpc-js";
import { NamingError } from "../model/index.js";

/** The `@grpc/grpc-js` module, as a type only: nothing here loads it before it is asked for. */
export type GrpcJs = typeof GrpcJsModule;

/** The versions of `@grpc/grpc-js` this face is written against (its resolver and LB APIs). */
export const SUPPORTED_GRPC_JS = ">=1.14 <2";

// The installed grpc-js is part of the caller's setup, as an option is: no retry cures it.
const unsupported = (found: string): NamingError =>
  new NamingError(
    "InvalidOption",
    `@grpc/grpc-js ${found} is not supported: rxnaming's gRPC resolver needs @grpc/grpc-js ${SUPPORTED_GRPC_JS}`,
    { field: "@grpc/grpc-js" },
  );

/**
 * Whether a `@grpc/grpc-js` version is one of {@link SUPPORTED_GRPC_JS}. Why a check at all:
 * the resolver listener and the load-balancer API changed shape in 1.10 and again in 1.14, and a
 * mismatch shows up as calls that hang, far from its cause.
 */
export const checkGrpcJsVersion = (version: string): E.Either<NamingError, string> => {
  const match = /^(\d+)\.(\d+)\.\d+/.exec(version);
  const major = Number(match?.[1]);
  const minor = Number(match?.[2]);
  return match !== null && major === 1 && minor >= 14 ? E.right(version) : E.left(unsupported(version));
};

// createRequire resolves from this file, as the dynamic import below does: the version read is
// the version of the very copy that is loaded.
const readVersion = (): string =>
  (createRequire(import.meta.url)("@grpc/grpc-js/package.json") as { version: string }).version;

/**
 * The exports of `@grpc/grpc-js` (CommonJS) from what a dynamic import gave. Node's ESM loader
 * puts them on `default`; tsx and bundlers that honour `__esModule` give them as the namespace
 * itself, with no `default`.
 */
export const moduleExports = (ns: GrpcJs & { default?: GrpcJs }): GrpcJs =>
  ns.default !== undefined && "experimental" in ns.default ? ns.default : ns;

/**
 * Loads `@grpc/grpc-js` (an optional peer dependency) and checks its version; a missing or
 * unsupported copy is a `NamingError` that says which versions work.
 */
export const loadGrpcJs = (): TE.TaskEither<NamingError, GrpcJs> =>
  pipe(
    TE.tryCatch(
      async () => {
        const ns = (await import("@grpc/grpc-js")) as GrpcJs & { default?: GrpcJs };
        return { grpc: moduleExports(ns), version: readVersion() };
      },
      (cause) =>
        new NamingError(
          "InvalidOption",
          `cannot load @grpc/grpc-js (install @grpc/grpc-js ${SUPPORTED_GRPC_JS} to use registerGrpcResolver): ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
          { field: "@grpc/grpc-js", cause },
        ),
    ),
    TE.chainEitherK(({ grpc, version }) =>
      pipe(
        checkGrpcJsVersion(version),
        E.map(() => grpc),
      ),
    ),
  );
