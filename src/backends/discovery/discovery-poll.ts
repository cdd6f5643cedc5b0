import { Observable, type Subscriber } from "rxjs";
import { backendError, decodeError, toNamingError, type NamingError } from "../../model/index.js";
import type { KeyValue, WatchMessage } from "../../port/index.js";
import { backoffDelay, type BackoffOptions } from "../../shared/backoff.js";
import { CODE } from "./discovery-codes.js";
import type { Answer } from "./discovery-http.js";
import { servedEntry } from "./discovery-layout.js";
import type { Nodes } from "./discovery-nodes.js";

/** What the poll knows of one watched app. */
interface App {
  /** The server's `latest_timestamp` of the app, as it wrote it ("0" when it has none). */
  ts: string;
  /** Whether the app has been read since it joined: until then its first snapshot is owed. */
  loaded: boolean;
  /** The instances of the last snapshot. */
  entries: readonly KeyValue[];
  readonly listeners: Set<Subscriber<WatchMessage>>;
}

/** What the shared poll needs; `discoveryBackend` fills it in. */
export interface PollOptions {
  readonly nodes: Nodes;
  /** The environment watched: the server keeps each env apart. */
  readonly env: string;
  /** The poller's hostname, unique to this naming (the server merges polls of one hostname). */
  readonly pollHost: string;
  /** How long the server holds a poll while no watched app has instances. */
  readonly holdMs: number;
  /**
   * How long it holds one while some have: each poll that ends with nothing new is followed by a
   * probe, since the server does not report an app's last instance leaving.
   */
  readonly emptyCheckMs: number;
  /** The deadline of a call, beyond the hold. */
  readonly requestTimeoutMs: number;
  readonly report: (error: NamingError) => void;
  readonly backoff?: BackoffOptions;
}

/**
 * The one long poll of a naming, for every app it watches: one request in flight, however many
 * apps and consumers (docs/discovery.md#discovery).
 *
 * - An app that joins is read at once with `fetchs` (its first snapshot, an empty one when the
 *   server does not know it) with the others that joined meanwhile, and the poll in flight is
 *   restarted to include it.
 * - The poll carries each app's `latest_timestamp`, as a string, and the server answers with the
 *   apps that changed since: each is sent as a snapshot, which the core diffs.
 * - The server forgets an app when its last instance goes, and does not wake the polls parked on
 *   it (nor answers a poll for an app it no longer knows). So while a watched app has instances,
 *   the poll is held `emptyCheckMs`, and each poll that ends with nothing new is followed by a
 *   probe that reads only the apps' timestamps: an app left out is empty now.
 * - A fault is reported and the poll goes on, after a backoff, with the next node; the sets are
 *   kept meanwhile.
 */
export class DiscoveryPoll {
  private readonly apps = new Map<string, App>();
  private running = false;
  private closed = false;
  private inFlight: AbortController | undefined;
  /** Whether the call in flight is a poll (a join restarts it) rather than a read (a join waits for it). */
  private polling = false;

  constructor(private readonly options: PollOptions) {}

  /** The snapshots of `appId`: the set as read first, then each new set. */
  watch(appId: string): Observable<WatchMessage> {
    return new Observable<WatchMessage>((subscriber) => {
      let app = this.apps.get(appId);
      if (app === undefined) {
        app = { ts: "0", loaded: false, entries: [], listeners: new Set() };
        this.apps.set(appId, app);
      } else if (app.loaded) {
        subscriber.next({ type: "snapshot", revision: app.ts, entries: app.entries });
      }
      app.listeners.add(subscriber);
      if (!app.loaded) this.restart();
      const joined = app;
      return () => {
        joined.listeners.delete(subscriber);
        // The poll in flight goes on; the next one leaves the app out.
        if (joined.listeners.size === 0 && this.apps.get(appId) === joined) this.apps.delete(appId);
      };
    });
  }

  /** Aborts the poll in flight and stops. */
  close(): void {
    this.closed = true;
    this.inFlight?.abort();
  }

  /** Starts the loop, or makes the one running read the apps that joined. */
  private restart(): void {
    if (this.closed) return;
    if (this.running) {
      // A read in flight is not restarted: a stream of joins would starve it. The loop reads the
      // newcomers right after it.
      if (this.polling) this.inFlight?.abort();
      return;
    }
    this.running = true;
    // From a microtask: the apps that join in the same tick (a gateway starting) are read together.
    void Promise.resolve()
      .then(() => this.loop())
      .finally(() => {
        this.running = false;
        // An app that joined as the loop ended.
        if (!this.closed && this.apps.size > 0) this.restart();
      });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.closed && this.apps.size > 0) {
      const controller = new AbortController();
      this.inFlight = controller;
      try {
        const fresh = [...this.apps].filter(([, app]) => !app.loaded).map(([id]) => id);
        this.polling = fresh.length === 0;
        if (fresh.length > 0) await this.fetchs(fresh, controller.signal);
        else await this.poll(controller.signal);
        failures = 0;
      } catch (e) {
        if (controller.signal.aborted) continue;
        failures++;
        this.options.report(toNamingError("polls")(e));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffDelay(this.options.backoff)(failures));
          controller.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
      } finally {
        this.inFlight = undefined;
        this.polling = false;
      }
    }
  }

  private async poll(signal: AbortSignal): Promise<void> {
    const { options } = this;
    const apps = [...this.apps];
    const listed = apps.filter(([, app]) => app.entries.length > 0).map(([id]) => id);
    const holdMs = listed.length > 0 ? options.emptyCheckMs : options.holdMs;
    const params: [string, string][] = [];
    for (const [id, app] of apps) params.push(["appid", id], ["latest_timestamp", app.ts]);
    params.push(["env", options.env], ["hostname", options.pollHost]);
    const answer = await options.nodes.call({
      method: "GET",
      path: "polls",
      params,
      holdMs,
      deadlineMs: holdMs + options.requestTimeoutMs,
      signal,
    });
    if (answer.code === CODE.notModified) {
      // Nothing new; but an app may have lost its last instance without a word.
      if (listed.length > 0) await this.probe(listed, signal);
      return;
    }
    if (answer.code !== CODE.ok) throw refused(answer, "polls");
    this.applyAll(
      answer,
      apps.map(([id]) => id),
      false,
    );
    const gone = (answer.error as { "-404"?: unknown } | undefined)?.["-404"];
    if (Array.isArray(gone)) {
      for (const id of gone) if (typeof id === "string") this.apply(id, "0", []);
    }
  }

  /**
   * Whether `ids` still exist, and at the timestamp we have, without reading their instances: a
   * `fetchs` for a status bit no instance has answers each app's `latest_timestamp` and empty
   * lists. An app left out is empty now; one at another timestamp is read again.
   */
  private async probe(ids: readonly string[], signal: AbortSignal): Promise<void> {
    const answer = await this.fetchsCall(ids, NO_STATUS, signal);
    if (answer.code === CODE.nothingFound) {
      for (const id of ids) this.apply(id, "0", []);
      return;
    }
    if (answer.code !== CODE.ok) throw refused(answer, "fetchs");
    const data = (answer.data ?? {}) as Record<string, { latest_timestamp?: unknown } | undefined>;
    const moved: string[] = [];
    for (const id of ids) {
      const ts = Object.hasOwn(data, id) ? data[id]?.latest_timestamp : undefined;
      if (ts === undefined) this.apply(id, "0", []);
      else if (String(ts) !== this.apps.get(id)?.ts) moved.push(id);
    }
    if (moved.length > 0) await this.fetchs(moved, signal);
  }

  private fetchsCall(ids: readonly string[], status: string, signal: AbortSignal): Promise<Answer> {
    const params: [string, string][] = ids.map((id) => ["appid", id]);
    params.push(["env", this.options.env], ["status", status]);
    return this.options.nodes.call({
      method: "GET",
      path: "fetchs",
      params,
      deadlineMs: this.options.requestTimeoutMs,
      signal,
    });
  }

  /** Reads `ids` at once: each app as the server has it, and those it does not know as empty. */
  private async fetchs(ids: readonly string[], signal: AbortSignal): Promise<void> {
    const answer = await this.fetchsCall(ids, UP, signal);
    if (answer.code === CODE.nothingFound) {
      for (const id of ids) this.apply(id, "0", []);
      return;
    }
    if (answer.code !== CODE.ok) throw refused(answer, "fetchs");
    this.applyAll(answer, ids, true);
  }

  /** Sends the apps of an answer's `data`; with `missingAreEmpty`, the asked ones it left out are empty. */
  private applyAll(answer: Answer, asked: readonly string[], missingAreEmpty: boolean): void {
    const data = answer.data;
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw backendError(
        `polls on ${answer.node}`,
        new Error(`answered code 0 without a "data" object: ${JSON.stringify(data)?.slice(0, 120)}`),
      );
    }
    const byApp = data as Record<string, unknown>;
    for (const id of asked) {
      if (Object.hasOwn(byApp, id)) this.applyServed(id, byApp[id]);
      else if (missingAreEmpty) this.apply(id, "0", []);
    }
  }

  private applyServed(appId: string, info: unknown): void {
    const { instances, latest_timestamp: ts } = (info ?? {}) as {
      instances?: unknown;
      latest_timestamp?: unknown;
    };
    if (
      typeof instances !== "object" ||
      instances === null ||
      Array.isArray(instances) ||
      !(typeof ts === "string" || typeof ts === "number")
    ) {
      this.options.report(
        decodeError(`${appId}/`, `the server's set is not {"instances":{zone:[...]},"latest_timestamp":N}`),
      );
      return;
    }
    const entries: KeyValue[] = [];
    for (const zone of Object.values(instances as Record<string, unknown>)) {
      if (!Array.isArray(zone)) continue;
      for (const served of zone) entries.push(servedEntry(appId, served));
    }
    this.apply(appId, String(ts), entries);
  }

  private apply(appId: string, ts: string, entries: readonly KeyValue[]): void {
    const app = this.apps.get(appId);
    if (app === undefined) return; // left meanwhile
    if (app.loaded && ts === "0" && entries.length === 0 && app.entries.length === 0) return;
    app.ts = ts;
    app.loaded = true;
    app.entries = entries;
    for (const listener of app.listeners) listener.next({ type: "snapshot", revision: ts, entries });
  }
}

/** `fetchs`' status bitmask: up instances, as polls list them. */
const UP = "1";
/** A status bit no instance has (1 up, 2 waiting): `fetchs` answers timestamps and empty lists. */
const NO_STATUS = "4";

const refused = (answer: Answer, path: string): NamingError =>
  backendError(
    `${path} on ${answer.node}`,
    new Error(`answered code ${answer.code}: ${JSON.stringify(answer.message)}`),
    { recoverable: true },
  );
