import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it, vi } from "vitest";

// @grpc/grpc-js absent: any import of it fails, as it would if the optional peer were not
// installed. rxnaming must still import and work, and only registerGrpcResolver may fail.
vi.mock("@grpc/grpc-js", () => {
  throw new Error("Cannot find package '@grpc/grpc-js'");
});

describe("without @grpc/grpc-js", () => {
  it("rxnaming imports and works; registerGrpcResolver rejects with a NamingError saying which versions work", async () => {
    const { memoryNaming, registerGrpcResolver, isNamingError, instance } =
      await import("../../src/index.js");
    const naming = memoryNaming();
    const me = instance({ appId: "no.grpc", hostname: "h1", addrs: ["grpc://127.0.0.1:9000"] });
    if (E.isLeft(me)) throw me.left;
    const sub = naming.register(me.right).subscribe();
    const found = await naming.build("no.grpc").fetch()();
    expect(E.isRight(found) && found.right.instances.map((i) => i.hostname)).toEqual(["h1"]);

    const error: unknown = await registerGrpcResolver(naming).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isNamingError(error)).toBe(true);
    expect((error as { _tag: string })._tag).toBe("InvalidOption");
    expect((error as Error).message).toContain("cannot load @grpc/grpc-js");
    expect((error as Error).message).toContain(">=1.14 <2");
    sub.unsubscribe();
    await naming.close();
  }, 30_000);
});
