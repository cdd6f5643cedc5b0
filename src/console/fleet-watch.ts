import { Subject, type Subscription } from "rxjs";
import { instanceChanges, type Instance, type InstanceChanges, type Naming } from "../index.js";
import { describeUpdate } from "./instance-diff.js";
import { appendBounded, type AppView, type HistoryEntry } from "./app-history.js";

/** A change pushed to every page: the new and changed instances whole, the removed by hostname. */
export interface AppChange {
  readonly type: "change";
  readonly appId: string;
  readonly revision: string;
  readonly added: readonly Instance[];
  readonly updated: readonly Instance[];
  readonly removed: readonly string[];
  readonly entry: HistoryEntry;
}

interface Watched {
  revision: string;
  instances: readonly Instance[];
  readonly history: HistoryEntry[];
  subscription?: Subscription;
}

const hostnames = (list: readonly Instance[]): string[] => list.map((i) => i.hostname);

/**
 * The apps the console shows, each followed through the naming's shared watch (one backend watch
 * per app, shared with every other consumer in the process), with a bounded change history.
 */
export class FleetWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly changes = new Subject<AppChange>();
  /** Every change of every watched app, as it happens. */
  readonly changes$ = this.changes.asObservable();

  constructor(
    private readonly naming: Naming,
    private readonly historySize: number,
  ) {}

  /** Starts following the apps of `appIds` not followed yet. */
  follow(appIds: readonly string[]): void {
    for (const appId of appIds) {
      if (this.watched.has(appId)) continue;
      const state: Watched = { revision: "", instances: [], history: [] };
      this.watched.set(appId, state);
      // The shared watch replays its latest set at once: `state` must exist before subscribing.
      state.subscription = this.naming
        .build(appId)
        .instances$.pipe(instanceChanges())
        .subscribe({ next: (c) => this.apply(appId, state, c), error: () => undefined });
    }
  }

  /** Every followed app: instances and history, for a page that just connected. */
  snapshot(): AppView[] {
    return [...this.watched.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([appId, w]) => ({ appId, revision: w.revision, instances: w.instances, history: w.history }));
  }

  /** The instances of an app as last seen; none for an app not followed. */
  instancesOf(appId: string): readonly Instance[] {
    return this.watched.get(appId)?.instances ?? [];
  }

  close(): void {
    for (const w of this.watched.values()) w.subscription?.unsubscribe();
    this.watched.clear();
    this.changes.complete();
  }

  private apply(appId: string, state: Watched, c: InstanceChanges): void {
    state.revision = c.info.revision;
    state.instances = c.info.instances;
    if (c.added.length + c.removed.length + c.updated.length === 0) return;
    const entry: HistoryEntry = {
      appId,
      revision: c.info.revision,
      at: Date.now(),
      added: hostnames(c.added),
      removed: hostnames(c.removed),
      updated: c.updated.map((i) =>
        describeUpdate(
          c.previous?.instances.find((p) => p.hostname === i.hostname),
          i,
        ),
      ),
    };
    appendBounded(state.history, entry, this.historySize);
    this.changes.next({
      type: "change",
      appId,
      revision: c.info.revision,
      added: c.added,
      updated: c.updated,
      removed: entry.removed,
      entry,
    });
  }
}
