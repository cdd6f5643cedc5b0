import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { checkGrpcJsVersion, SUPPORTED_GRPC_JS } from "../../src/grpc/index.js";
import { parseTarget } from "../../src/grpc/target.js";

const parse = (path: string) => parseTarget(`etcd:///${path}`, path, "client-1");

describe("parseTarget (warden's query)", () => {
  it("reads the appid alone", () => {
    expect(parse("demo.app")).toEqual(E.right({ appId: "demo.app", buildOptions: {} }));
  });

  it("reads zone, repeated cluster and subset, with the client id", () => {
    expect(parse("demo.app?zone=sh001&cluster=c1&cluster=c2&subset=50")).toEqual(
      E.right({
        appId: "demo.app",
        buildOptions: {
          zone: "sh001",
          filter: { cluster: ["c1", "c2"] },
          subset: { size: 50, clientId: "client-1" },
        },
      }),
    );
  });

  it("ignores an authority's leading slashes (discovery://default/app)", () => {
    expect(parse("//demo.app")).toEqual(E.right({ appId: "demo.app", buildOptions: {} }));
  });

  it.each([
    ["", "no appid"],
    ["?zone=a", "no appid"],
    ["app?subset=x", "subset must be"],
    ["app?subset=0", "subset must be"],
    ["app?subset=2&subset=3", "subset must be"],
    ["app?zone=a&zone=b", "zone must be given once"],
    ["app?cluster=", "cluster must not be empty"],
    ["app?colour=red", "unknown query key colour"],
  ])("rejects %j with a Decode error naming the target (%s)", (path, reason) => {
    const result = parse(path);
    expect(E.isLeft(result)).toBe(true);
    if (E.isLeft(result)) {
      expect(result.left._tag).toBe("Decode");
      expect(result.left.message).toContain(`etcd:///${path}`);
      expect(result.left.message).toContain(reason);
    }
  });
});

describe("checkGrpcJsVersion", () => {
  it.each(["1.14.0", "1.14.7", "1.15.2"])("accepts %s", (v) => {
    expect(checkGrpcJsVersion(v)).toEqual(E.right(v));
  });

  it.each(["1.13.4", "1.9.0", "2.0.0", "0.14.0", "garbage"])(
    "rejects %s, saying which versions work",
    (v) => {
      const result = checkGrpcJsVersion(v);
      expect(E.isLeft(result)).toBe(true);
      if (E.isLeft(result)) {
        expect(result.left._tag).toBe("InvalidOption");
        expect(result.left.message).toContain(v);
        expect(result.left.message).toContain(SUPPORTED_GRPC_JS);
        expect(result.left.recoverable).toBe(false);
      }
    },
  );
});
