import * as grpc from "@grpc/grpc-js";
import { filter, firstValueFrom } from "rxjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  memoryNaming,
  registerGrpcResolver,
  type GrpcResolverRegistration,
  type NamingError,
} from "../../src/index.js";
import { isNamingError } from "../../src/model/index.js";
import { GrpcFleet } from "../harness/grpc-fleet.js";
import { call, client } from "./echo.js";

const naming = memoryNaming({ lingerMs: 0 });
let registration: GrpcResolverRegistration;
beforeAll(async () => {
  registration = await registerGrpcResolver(naming);
});
afterAll(() => naming.close());

const fleet = new GrpcFleet(naming, "grpc.careless");
afterEach(() => fleet.clear());

const told = (p: (e: NamingError) => boolean) => firstValueFrom(registration.errors$.pipe(filter(p)));

describe("a bad policy config is a channel error and an errors$ report, nothing thrown into grpc-js", () => {
  it.each([
    [{ rxnaming_ring_hash: { replicas: 1.5 } }, "replicas"],
    [{ rxnaming_ring_hash: { replicas: 1e8 } }, "replicas"],
    [{ rxnaming_p2c: { decayMs: "600" } }, "decayMs"],
    [{ rxnaming_wrr: { weight: 1 } }, "weight"],
  ])(
    "%j fails calls with UNAVAILABLE naming %s",
    async (policy, option) => {
      await fleet.start(["s1"]);
      const report = told((e) => e.message.includes(option));
      const c = fleet.track(client(`memory:///${fleet.appId}`, policy));
      const o = await call(c, { deadlineMs: 5_000 });
      expect(o).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
      expect(o.ok ? "" : o.details).toContain(option);
      expect((await report).message).toContain(option);
    },
    30_000,
  );
});

describe("a target with malformed percent-encoding", () => {
  it("is a channel error and an errors$ report, not a URIError from new Client", async () => {
    const report = told((e) => e.key?.includes("%E0%A4%A") === true);
    const c = fleet.track(client("memory:///%E0%A4%A"));
    const o = await call(c, { deadlineMs: 5_000 });
    expect(o).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(o.ok ? "" : o.details).toContain("percent-encoding");
    expect((await report)._tag).toBe("Decode");
  }, 30_000);
});

describe("registerGrpcResolver with careless arguments", () => {
  const rejection = async (p: () => Promise<unknown>): Promise<NamingError> => {
    try {
      await p();
    } catch (error) {
      if (isNamingError(error)) return error;
      throw new Error(`expected a NamingError, got ${String(error)}`, { cause: error });
    }
    throw new Error("expected a rejection");
  };
  const anyRegister = registerGrpcResolver as unknown as (...args: unknown[]) => Promise<unknown>;

  it.each([
    ["null", [null], "registerGrpcResolver naming"],
    ["a number", [5], "registerGrpcResolver naming"],
    ["null options", [naming, null], "registerGrpcResolver options"],
    ["an unknown option", [naming, { schema: "x" }], "registerGrpcResolver schema"],
    ["a numeric clientId", [naming, { clientId: 5 }], "registerGrpcResolver clientId"],
    ["a scheme that is no URI scheme", [naming, { scheme: "my app" }], "registerGrpcResolver scheme"],
  ])("%s is an InvalidOption naming the option", async (_, args, option) => {
    const error = await rejection(() => anyRegister(...args));
    expect(error._tag).toBe("InvalidOption");
    expect(error.field).toBe(option);
  });

  it("names the closest known option", async () => {
    const error = await rejection(() => anyRegister(naming, { schema: "x" }));
    expect(error.message).toContain('did you mean "scheme"');
  });
});
