import { describe, expect, it } from "vitest";
import { addrs, hostPortOf } from "../../src/operators/index.js";
import { info, inst, once } from "./fixtures.js";

const set = info([
  inst("a", { addrs: ["http://10.0.0.1:8000", "grpc://10.0.0.1:9000"] }),
  inst("b", { addrs: ["http://10.0.0.2:8000"] }),
  inst("c", { addrs: ["GRPC://user@[::1]:9000/path?x=1"] }),
]);

describe("addrs", () => {
  it("lists the host:port of every addr of one scheme, in hostname order", () => {
    expect(once(set, addrs("grpc"))).toEqual(["10.0.0.1:9000", "[::1]:9000"]);
    expect(once(set, addrs("http"))).toEqual(["10.0.0.1:8000", "10.0.0.2:8000"]);
  });

  it("lists full URLs with format url", () => {
    expect(once(set, addrs("grpc", { format: "url" }))).toEqual([
      "grpc://10.0.0.1:9000",
      "GRPC://user@[::1]:9000/path?x=1",
    ]);
  });

  it("parses only its own scheme", () => {
    expect(hostPortOf("grpc")("grpcs://x:1")).toBeUndefined();
    expect(hostPortOf("grpc")("grpc://x:1")).toBe("x:1");
  });
});
