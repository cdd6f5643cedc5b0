import { BehaviorSubject, type Subscription } from "rxjs";
import { instance, type Instance, type RegistrationEvent } from "../../index.js";
import type { Peer } from "./peer.js";

/** What the demo shows of a service's life. */
export const serviceStates = [
  "starting",
  "up",
  "slow",
  "cut off",
  "expired",
  "re-registering",
  "left",
] as const;
export type ServiceState = (typeof serviceStates)[number];

/** The fixed traits of a simulated service. */
export interface ServiceSpec {
  readonly hostname: string;
  readonly zone: string;
  readonly port: number;
  readonly weight: number;
  /** Typical latency of a request, in ms. */
  readonly latencyMs: number;
}

/**
 * One simulated service: it registers an `Observable<Instance>` (so a weight change is an
 * `updated` under the same key and lease), answers requests with some latency, and can be
 * slowed, cut off from the backend, or stopped.
 */
export class DemoService {
  state: ServiceState = "starting";
  weight: number;
  slow = false;
  serving = false;
  cut = false;
  leaseId: string | undefined;
  private readonly instance$: BehaviorSubject<Instance>;
  private registration: Subscription | undefined;

  constructor(
    readonly spec: ServiceSpec,
    readonly appId: string,
    private readonly peer: Peer,
    private readonly onEvent: (service: DemoService, event: RegistrationEvent) => void,
    private readonly onError: (service: DemoService, error: unknown) => void,
  ) {
    this.weight = spec.weight;
    this.instance$ = new BehaviorSubject(this.instanceOf(spec.weight));
  }

  get hostname(): string {
    return this.spec.hostname;
  }

  /** The latency of one request now: around the typical one, ten times it while slow. */
  latency(random: () => number = Math.random): number {
    return this.spec.latencyMs * (this.slow ? 10 : 1) * (0.6 + 0.8 * random());
  }

  start(): void {
    this.serving = true;
    this.registration = this.peer.naming.register(this.instance$).subscribe({
      next: (event) => {
        if (event.type === "lost") this.state = "re-registering";
        else {
          // Registered (again) or updated: the backend has it, whatever happened before.
          this.leaseId = event.leaseId;
          this.cut = false;
          this.state = this.slow ? "slow" : "up";
        }
        this.onEvent(this, event);
      },
      error: (e: unknown) => this.onError(this, e),
    });
  }

  setWeight(weight: number): void {
    this.weight = weight;
    this.instance$.next(this.instanceOf(weight));
  }

  setSlow(slow: boolean): void {
    this.slow = slow;
    if (this.state === "up" || this.state === "slow") this.state = slow ? "slow" : "up";
  }

  /** Cuts this service off from the backend: its lease runs down (or is revoked, on etcd). */
  async cutOff(): Promise<void> {
    this.cut = true;
    this.state = "cut off";
    if (this.leaseId !== undefined) await this.peer.leaseLoss.begin(this.leaseId);
  }

  /**
   * Ends the cut, on a backend where it lasts until ended: the registration then finds its lease
   * lost and registers again. `say` is told what happens first, since the events follow at once.
   */
  reconnect(say: (how: string) => void): void {
    const end = this.peer.leaseLoss.end;
    if (end === undefined || !this.cut) return;
    say(end.how);
    this.state = "re-registering";
    end.run();
  }

  /** The client no longer sees this service while it is cut off: its lease expired. */
  expired(): void {
    if (this.cut) this.state = "expired";
  }

  /** Stops the service: deregisters at once (lease revoked, key deleted), then stops serving. */
  leave(): void {
    this.registration?.unsubscribe();
    this.state = "left";
    this.serving = false;
  }

  leaseLossHow(ttlSeconds: number): string {
    return this.peer.leaseLoss.how(ttlSeconds);
  }

  private instanceOf(weight: number): Instance {
    const result = instance({
      appId: this.appId,
      hostname: this.spec.hostname,
      zone: this.spec.zone,
      addrs: [`grpc://127.0.0.1:${this.spec.port}`],
      metadata: { weight: String(weight) },
    });
    if (result._tag === "Left") throw result.left; // the demo's own fixed instances: a bug if so
    return result.right;
  }
}
