import { identity, Subscription, type MonoTypeOperatorFunction } from "rxjs";
import {
  instanceChanges,
  p2c,
  weightedRoundRobin,
  type Instance,
  type InstancesInfo,
  type Picker,
  type RegistrationEvent,
} from "../../index.js";
import type { NamingConnection } from "../naming-connection.js";
import { CELL_MAX } from "../render/instance-text.js";
import { cellText } from "../render/terminal-text.js";
import { DemoService, type ServiceSpec } from "./demo-service.js";
import { peerOn } from "./peer.js";
import { Traffic } from "./traffic.js";

/** Who a line of the demo's log is about: the story, a service's registration, or the client. */
export type EventKind = "story" | "registry" | "client";

/** A line of the demo's log, `atMs` after the start. */
export interface DemoEvent {
  readonly atMs: number;
  readonly kind: EventKind;
  readonly text: string;
}

/**
 * The state of a running demo: the simulated services, the client's view of the app (one
 * resolver, a p2c and a weighted round robin picker), the traffic, and what happened so far.
 */
export class DemoRun {
  readonly services = new Map<string, DemoService>();
  readonly traffic: Traffic;
  readonly events: DemoEvent[] = [];
  /** The client's current set. */
  instances: readonly Instance[] = [];
  /** How many sets the client's one watch delivered. */
  sets = 0;
  /** Why the run failed, when a service could not register (e.g. etcd denied it). */
  failure: unknown;
  private readonly subscriptions = new Subscription();
  private readonly started = performance.now();

  constructor(
    readonly connection: NamingConnection,
    readonly appId: string,
    private readonly onEvent: (event: DemoEvent) => void,
    requestsPerSecond: number,
  ) {
    this.traffic = new Traffic(this.services, requestsPerSecond);
  }

  get elapsedMs(): number {
    return performance.now() - this.started;
  }

  log(kind: EventKind, text: string): void {
    const event = { atMs: this.elapsedMs, kind, text };
    this.events.push(event);
    this.onEvent(event);
  }

  /**
   * The client: one resolver, shared by the log, p2c and wrr (one backend watch between them);
   * `track` wraps p2c's pickers (the console's client view counts their picks).
   */
  startClient(track: MonoTypeOperatorFunction<Picker> = identity): void {
    const instances$ = this.connection.naming.build(this.appId).instances$;
    this.subscriptions.add(
      instances$
        .pipe(instanceChanges())
        .subscribe((c) => this.clientSaw(c.info, c.added, c.removed, c.updated)),
    );
    this.traffic.start(
      instances$.pipe(p2c(this.traffic.p2cOptions), track),
      instances$.pipe(weightedRoundRobin()),
    );
  }

  /** Starts a service: it registers, and will be counted in the traffic once the client sees it. */
  startService(spec: ServiceSpec): DemoService {
    const service = new DemoService(
      spec,
      this.appId,
      peerOn(this.connection),
      (s, e) => this.registryEvent(s, e),
      (s, e) => {
        this.failure ??= e;
        this.log("registry", `${s.hostname}: registration failed: ${this.connection.explain(e)}`);
      },
    );
    this.services.set(spec.hostname, service);
    service.start();
    return service;
  }

  /** Stops the traffic, deregisters every service and closes the backend. */
  async stop(): Promise<void> {
    this.traffic.stop();
    this.subscriptions.unsubscribe();
    this.services.forEach((s) => {
      if (s.state !== "left") s.leave();
    });
    await this.connection.close();
  }

  private registryEvent(service: DemoService, event: RegistrationEvent): void {
    const name = service.hostname;
    if (event.type === "lost") this.log("registry", `${name}: lease lost; registering again`);
    else if (event.type === "updated")
      this.log("registry", `${name}: updated in place (same key, lease ${event.leaseId})`);
    else this.log("registry", `${name}: registered ${event.key} (lease ${event.leaseId})`);
  }

  private clientSaw(
    info: InstancesInfo,
    added: readonly Instance[],
    removed: readonly Instance[],
    updated: readonly Instance[],
  ): void {
    this.instances = info.instances;
    this.sets++;
    const n = info.instances.length;
    const count = `${n} instance${n === 1 ? "" : "s"}`;
    if (this.sets === 1 && n === 0) this.log("client", `client: watching ${this.appId}: no instances yet`);
    // On etcd, anyone may write under the demo's app: what the client saw is shown, not obeyed.
    const name = (i: Instance): string => cellText(i.hostname, CELL_MAX);
    for (const i of added) this.log("client", `client: + ${name(i)} (${count})`);
    for (const i of updated)
      this.log("client", `client: ~ ${name(i)} weight=${cellText(i.metadata["weight"] ?? "-", CELL_MAX)}`);
    for (const i of removed) {
      const service = this.services.get(i.hostname);
      if (service?.cut) {
        service.expired();
        this.log("client", `client: - ${name(i)}: its lease ended and its key went with it (${count})`);
      } else this.log("client", `client: - ${name(i)} (${count})`);
    }
  }
}
