import { describe, expect, it } from "vitest";
import {
  backendError,
  closedError,
  decodeError,
  duplicate,
  invalidInstance,
  isNamingError,
  NamingError,
  toNamingError,
} from "../../src/model/index.js";

describe("NamingError", () => {
  it("is an Error with a tag, a name, a key, a field and recoverable", () => {
    const e = new NamingError("Decode", "cannot decode /k", { key: "/k", field: "status" });
    expect(e).toBeInstanceOf(Error);
    expect(e._tag).toBe("Decode");
    expect(e.name).toBe("NamingError(Decode)");
    expect(e.message).toBe("cannot decode /k");
    expect(e.key).toBe("/k");
    expect(e.field).toBe("status");
    expect(e.recoverable).toBe(false);
    expect(e.isNamingError).toBe(true);
    expect(typeof e.stack).toBe("string");
  });

  it("Backend errors are recoverable by default; others are not; explicit wins", () => {
    expect(new NamingError("Backend", "x").recoverable).toBe(true);
    expect(new NamingError("Backend", "x", { recoverable: false }).recoverable).toBe(false);
    for (const tag of ["InvalidInstance", "Duplicate", "Decode", "Closed"] as const) {
      expect(new NamingError(tag, "x").recoverable).toBe(false);
    }
  });

  it("keeps the cause", () => {
    const cause = new Error("boom");
    expect(new NamingError("Backend", "x", { cause }).cause).toBe(cause);
  });
});

describe("isNamingError", () => {
  it("is true for every error the package makes", () => {
    for (const e of [
      invalidInstance("hostname", "must not be empty"),
      duplicate("/kratos_etcd/a/h"),
      decodeError("/kratos_etcd/a/h", "bad"),
      backendError("put", new Error("down")),
      closedError("naming"),
    ]) {
      expect(isNamingError(e)).toBe(true);
    }
  });

  it("is true for a plain copy from another copy of the package", () => {
    const foreign = { _tag: "Backend", message: "x", isNamingError: true };
    expect(isNamingError(foreign)).toBe(true);
    expect(isNamingError({ ...decodeError("/k", "bad") })).toBe(true);
  });

  it("is false for anything else", () => {
    expect(isNamingError(new Error("x"))).toBe(false);
    expect(isNamingError({ isNamingError: "true" })).toBe(false);
    expect(isNamingError({ _tag: "Backend" })).toBe(false);
    expect(isNamingError(null)).toBe(false);
    expect(isNamingError(undefined)).toBe(false);
    expect(isNamingError("NamingError")).toBe(false);
  });
});

describe("error constructors", () => {
  it("invalidInstance names the field (and the key, when given)", () => {
    const e = invalidInstance("hostname", "must not be empty", "/p/a/");
    expect(e._tag).toBe("InvalidInstance");
    expect(e.field).toBe("hostname");
    expect(e.key).toBe("/p/a/");
    expect(e.message).toContain("hostname");
    expect(e.message).toContain("must not be empty");
  });

  it("duplicate names the key", () => {
    const e = duplicate("/kratos_etcd/demo/h1");
    expect(e._tag).toBe("Duplicate");
    expect(e.key).toBe("/kratos_etcd/demo/h1");
    expect(e.message).toContain("/kratos_etcd/demo/h1");
    expect(e.recoverable).toBe(false);
  });

  it("decodeError names the key and the field", () => {
    const e = decodeError("/kratos_etcd/demo/h1", 'field "status" must be number', "status");
    expect(e._tag).toBe("Decode");
    expect(e.key).toBe("/kratos_etcd/demo/h1");
    expect(e.field).toBe("status");
    expect(e.message).toContain("/kratos_etcd/demo/h1");
    expect(e.message).toContain("status");
  });

  it("backendError describes the cause", () => {
    const e = backendError("lease grant", new Error("connection refused"), { key: "/k" });
    expect(e._tag).toBe("Backend");
    expect(e.recoverable).toBe(true);
    expect(e.key).toBe("/k");
    expect(e.message).toContain("lease grant");
    expect(e.message).toContain("connection refused");
    expect(backendError("x", "a string").message).toContain("a string");
    expect(backendError("x", new TypeError("")).message).toContain("TypeError");
    expect(backendError("x", new Error("y"), { recoverable: false }).recoverable).toBe(false);
  });

  it("closedError", () => {
    const e = closedError("resolver demo");
    expect(e._tag).toBe("Closed");
    expect(e.message).toContain("resolver demo");
  });

  it("toNamingError keeps a NamingError and wraps anything else as Backend", () => {
    const own = duplicate("/k");
    expect(toNamingError("put")(own)).toBe(own);
    const wrapped = toNamingError("put", { key: "/k" })(new Error("down"));
    expect(wrapped._tag).toBe("Backend");
    expect(wrapped.key).toBe("/k");
    expect(wrapped.cause).toBeInstanceOf(Error);
    expect(wrapped.message).toContain("down");
  });
});
