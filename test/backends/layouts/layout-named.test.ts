import { describe, expect, it } from "vitest";
import { layoutNamed, layoutNames } from "../../../src/backends/layouts/index.js";
import { memoryNaming } from "../../../src/index.js";
import { make } from "./support.js";

describe("layoutNamed", () => {
  const i = make({ appId: "demo", hostname: "h", addrs: ["grpc://10.0.0.5:9000"] });

  it("gives each layout with its default prefix", () => {
    expect(layoutNames).toEqual(["kratos-v1", "kratos-v2", "etcd-endpoints", "go-zero"]);
    expect(layoutNames.map((name) => layoutNamed(name).keyOf(i, "42"))).toEqual([
      "/kratos_etcd/demo/h",
      "/microservices/demo/h",
      "demo/h",
      "demo/42",
    ]);
    expect(layoutNames.map((name) => layoutNamed(name).name)).toEqual(layoutNames);
  });

  it("takes a prefix instead of the default", () => {
    expect(layoutNamed("kratos-v1", "other").appPrefix("demo")).toBe("/other/demo/");
  });

  it("rejects an unknown name with InvalidOption naming the choices", () => {
    for (const name of ["kratos-v3", "", "toString", "__proto__"]) {
      expect(() => layoutNamed(name)).toThrow(
        expect.objectContaining({
          _tag: "InvalidOption",
          field: "layout",
          message: expect.stringMatching(/kratos-v1, kratos-v2, etcd-endpoints, go-zero/),
        }),
      );
    }
  });

  it("is what memoryNaming's layout option uses, and an unknown one fails there too", () => {
    expect(() => memoryNaming({ layout: "nope" as never })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption" }),
    );
  });
});
