import type { ChannelOptions, connectivityState as ConnectivityState, experimental } from "@grpc/grpc-js";
import { trafficMetrics, type TrafficMetrics } from "../metrics/index.js";
import type { Instance } from "../model/index.js";
import { BalancerFeed } from "./balancer-feed.js";
import { INSTANCES_ATTRIBUTE, type ResolvedInstances } from "./endpoints.js";
import { healthCheckedSubchannel } from "./health-watch.js";
import { channelHealthService, PolicyConfig } from "./policy-config.js";
import type { PolicyContext } from "./policy-spec.js";
import { ReadyPicker } from "./ready-picker.js";

/** One endpoint: its subchannel, and the instance behind it. */
interface Child {
  readonly leaf: experimental.LeafLoadBalancer;
  instance: Instance;
}

/**
 * An instance for an endpoint that came without one (a policy used with grpc-js's own dns or ipv4
 * resolver): the address is its hostname, so every balancer can still tell endpoints apart.
 */
const anonymous = (addr: string): Instance =>
  Object.freeze({
    region: "",
    zone: "",
    env: "",
    appId: "",
    hostname: addr,
    addrs: Object.freeze([`grpc://${addr}`]),
    version: "",
    lastTs: 0,
    metadata: Object.freeze({}),
    status: 1,
  });

/**
 * The load balancer of one channel under one of our policies. It keeps one subchannel (a grpc-js
 * `LeafLoadBalancer`) per endpoint, connected as `round_robin` keeps them, and feeds the instances
 * of the READY ones to a balancer from `src/balancers`. Every change ends in
 * {@link PickerLoadBalancer.calculateAndUpdateState}, the one place that tells grpc-js the state
 * and picker: READY (a {@link ReadyPicker}) when one subchannel is, else CONNECTING when one is,
 * else TRANSIENT_FAILURE with the last error, else IDLE.
 */
export class PickerLoadBalancer<C> implements experimental.LoadBalancer {
  private children = new Map<string, Child>();
  private state: ConnectivityState;
  private lastError: string | null = null;
  private config: PolicyConfig<C> | undefined;
  /** The balancer from `src/balancers` that picks among the endpoints. */
  private readonly balancer: BalancerFeed<C>;
  private resolved: ResolvedInstances | undefined;
  /** While the endpoints are replaced: their leaves' state changes wait for the whole set. */
  private paused = false;
  /** The health service of gRFC A17 for subchannels made from now on, if any. */
  private healthService: string | undefined;
  /** Metrics of this channel's traffic, when its resolver asks for them (docs/metrics.md#grpc-policies). */
  private traffic: TrafficMetrics | undefined;
  private republishing = false;
  private readonly childHelper: experimental.ChannelControlHelper;

  constructor(
    private readonly helper: experimental.ChannelControlHelper,
    private readonly context: PolicyContext<C>,
  ) {
    const { grpc } = context;
    const { experimental: x, connectivityState: State } = grpc;
    this.state = State.IDLE;
    this.balancer = new BalancerFeed(context, () => this.republish());
    this.childHelper = x.createChildChannelControlHelper(helper, {
      createSubchannel: (address, options) => {
        const subchannel = helper.createSubchannel(address, options);
        if (this.healthService === undefined) return subchannel;
        const traffic = this.traffic;
        const addr = x.subchannelAddressToString(address);
        const onState =
          traffic?.recording === true
            ? (state: string) =>
                traffic.health(this.resolved?.byAddr.get(addr) ?? anonymous(addr), addr, state)
            : undefined;
        // The watch ends by itself when the subchannel leaves READY (a destroyed leaf lets it go idle).
        return healthCheckedSubchannel(grpc, subchannel, this.healthService, onState);
      },
      updateState: (state, _picker, errorMessage) => {
        // As round_robin: a connection that drops asks the resolver again (ours is a live watch
        // and ignores it, but another resolver may need it).
        if (this.state === State.READY && state !== State.READY) helper.requestReresolution();
        if (errorMessage) this.lastError = errorMessage;
        this.calculateAndUpdateState();
      },
    });
  }

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    lbConfig: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    resolutionNote: string,
  ): boolean {
    const { spec, grpc } = this.context;
    const { experimental: x, connectivityState: State, status: Status } = grpc;
    // A config parsed for this very policy (a policy registered again parses with its new spec).
    if (!(lbConfig instanceof PolicyConfig) || lbConfig.spec !== spec) return false;
    const config = lbConfig as PolicyConfig<C>;
    const resolved = options[INSTANCES_ATTRIBUTE] as ResolvedInstances | undefined;
    // Decided once per channel, before its balancer is made: the resolver's registration asks.
    if (this.traffic === undefined && resolved?.metrics !== undefined) {
      this.traffic = trafficMetrics({ ...resolved.metrics, app: resolved.appId });
    }
    const problem = config.problem ?? this.balancer.use(config, this.traffic);
    this.config = problem === undefined ? config : undefined;
    if (problem !== undefined) {
      for (const child of this.children.values()) child.leaf.destroy();
      this.children.clear();
      this.updateState(
        State.TRANSIENT_FAILURE,
        new x.UnavailablePicker({ code: Status.UNAVAILABLE, details: problem.message }),
        problem.message,
      );
      return true;
    }
    if (!endpoints.ok) {
      // An error keeps the endpoints we have (as grpc-js's policies do); with none, it fails calls.
      if (this.children.size === 0) {
        this.updateState(
          State.TRANSIENT_FAILURE,
          new x.UnavailablePicker(endpoints.error),
          endpoints.error.details,
        );
      }
      return true;
    }
    this.healthService = config.healthService ?? channelHealthService(options);
    this.resolved = resolved;
    const next = new Map<string, Child>();
    this.paused = true;
    for (const endpoint of endpoints.value) {
      const address = endpoint.addresses[0];
      if (address === undefined) continue;
      const addr = x.subchannelAddressToString(address);
      if (next.has(addr)) continue;
      const instance = resolved?.byAddr.get(addr) ?? anonymous(addr);
      const existing = this.children.get(addr);
      if (existing !== undefined) {
        existing.leaf.updateEndpoint(endpoint, options);
        existing.instance = instance;
        next.set(addr, existing);
      } else {
        const leaf = new x.LeafLoadBalancer(endpoint, this.childHelper, options, resolutionNote);
        next.set(addr, { leaf, instance });
        leaf.startConnecting();
      }
    }
    for (const [addr, child] of this.children) if (!next.has(addr)) child.leaf.destroy();
    this.children = next;
    this.paused = false;
    if (next.size === 0) {
      const message = `${spec.name}: no addresses resolved${resolutionNote ? `: ${resolutionNote}` : ""}`;
      this.balancer.next(resolved, []);
      this.updateState(State.TRANSIENT_FAILURE, new x.UnavailablePicker({ details: message }), message);
      return true;
    }
    this.calculateAndUpdateState();
    return true;
  }

  exitIdle(): void {
    // Like round_robin: all endpoints are kept connected, so there is nothing to start here.
  }

  resetBackoff(): void {}

  destroy(): void {
    for (const child of this.children.values()) child.leaf.destroy();
    this.children.clear();
    this.balancer.stop();
  }

  getTypeName(): string {
    return this.context.spec.name;
  }

  /**
   * A new picker of the balancer's own making, told to grpc-js on the next turn: it comes from
   * within a call's end (`done`) or a timer, not from grpc-js asking.
   */
  private republish(): void {
    if (this.republishing) return;
    this.republishing = true;
    queueMicrotask(() => {
      this.republishing = false;
      if (this.state === this.context.grpc.connectivityState.READY && this.config !== undefined) {
        this.calculateAndUpdateState();
      }
    });
  }

  /** The channel's state and picker from the endpoints' states, told to grpc-js. */
  private calculateAndUpdateState(): void {
    if (this.paused || this.config === undefined) return;
    const { spec, grpc } = this.context;
    const { experimental: x, connectivityState: State } = grpc;
    const ready = new Map<string, experimental.Picker>();
    const instances: Instance[] = [];
    let connecting = false;
    let failing = false;
    for (const [addr, child] of this.children) {
      const state = child.leaf.getConnectivityState();
      if (state === State.READY) {
        ready.set(addr, child.leaf.getPicker());
        instances.push(child.instance);
      } else {
        if (spec.wholeSet === true) instances.push(child.instance);
        if (state === State.CONNECTING) connecting = true;
        else if (state === State.TRANSIENT_FAILURE) failing = true;
      }
    }
    if (ready.size > 0) {
      this.balancer.next(this.resolved, instances);
      this.updateState(
        State.READY,
        new ReadyPicker(this.context, this.balancer.picker, ready, this.config.config),
        null,
      );
    } else if (connecting) {
      this.updateState(State.CONNECTING, new x.QueuePicker(this), null);
    } else if (failing) {
      const message = `${spec.name}: no connection established. Last error: ${this.lastError}`;
      this.updateState(State.TRANSIENT_FAILURE, new x.UnavailablePicker({ details: message }), message);
    } else {
      this.updateState(State.IDLE, new x.QueuePicker(this), null);
    }
    // As round_robin: every endpoint stays connected, so that a pick never waits for a connect.
    for (const child of this.children.values()) {
      if (child.leaf.getConnectivityState() === State.IDLE) child.leaf.exitIdle();
    }
  }

  private updateState(
    state: ConnectivityState,
    picker: experimental.Picker,
    errorMessage: string | null,
  ): void {
    this.state = state;
    this.helper.updateState(state, picker, errorMessage);
  }
}
