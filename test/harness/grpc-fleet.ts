// Real grpc-js echo servers registered under one app of a naming, and the clients of a test: what
// the gRPC tests each started and stopped the same way. `clear()` in afterEach leaves nothing.
import * as grpc from "@grpc/grpc-js";
import type { InstanceInput, Naming } from "../../src/index.js";
import { EchoClient, startEchoWith, type EchoServer } from "../grpc/echo.js";
import { Registrations } from "../grpc/scenario.js";

export interface FleetOptions {
  /** Adds services to the server named `name` before it listens (health, a watch). */
  readonly setup?: (name: string, server: grpc.Server) => void;
  /** The registration fields of the k-th server (metadata such as a weight). */
  readonly fields?: (k: number) => InstanceInput;
}

export class GrpcFleet {
  servers: EchoServer[] = [];
  regs: Registrations | undefined;
  private clients: grpc.Client[] = [];
  private apps = 0;

  /** `appPrefix`: each `start` registers under a fresh app `<appPrefix>.<n>`. */
  constructor(
    private readonly naming: Naming,
    private readonly appPrefix: string,
  ) {}

  /** The app of the last `start`. */
  get appId(): string {
    if (this.regs === undefined) throw new Error("no fleet started");
    return this.regs.appId;
  }

  /** Starts one echo server a name, on free ports, and registers them under a fresh app. */
  async start(names: readonly string[], options: FleetOptions = {}): Promise<EchoServer[]> {
    const { setup, fields } = options;
    this.servers = await Promise.all(
      names.map((name) => startEchoWith(name, 0, setup && ((server) => setup(name, server)))),
    );
    const regs = new Registrations(this.naming, `${this.appPrefix}.${++this.apps}`);
    this.regs = regs;
    this.servers.forEach((s, k) => regs.add(s.name, [s.addr], fields?.(k)));
    return this.servers;
  }

  /** A client of the fleet's app (`memory:///<app>` by default) with a whole service config. */
  client(serviceConfig: object, target = `memory:///${this.appId}`): grpc.Client {
    return this.track(
      new EchoClient(target, grpc.credentials.createInsecure(), {
        "grpc.service_config": JSON.stringify(serviceConfig),
      }),
    );
  }

  /** Closes `c` with the fleet. */
  track<C extends grpc.Client>(c: C): C {
    this.clients.push(c);
    return c;
  }

  /** Closes the clients, ends the registrations and stops the servers. */
  async clear(): Promise<void> {
    for (const c of this.clients) c.close();
    this.clients = [];
    this.regs?.dispose();
    this.regs = undefined;
    await Promise.all(this.servers.map((s) => s.stop()));
    this.servers = [];
  }
}
