import * as E from "fp-ts/lib/Either.js";
import {
  byHostname,
  decodeError,
  instanceEquals,
  type Instance,
  type InstancesInfo,
  type NamingError,
} from "../model/index.js";
import {
  compareRevision,
  type KeyChange,
  type KeyLayout,
  type KeyMisfit,
  type KeyValue,
  type Revision,
} from "../port/index.js";
import { InstanceList } from "./instance-list.js";

/**
 * The instances of one app as the backend has them, and the rule for turning each backend
 * message into the next `InstancesInfo`:
 *
 * - a batch is applied change by change; a change at or below the revision already applied is
 *   skipped (a watch that resumed too early must not apply it twice);
 * - a snapshot replaces the set, but every instance whose value is unchanged keeps its object;
 * - the result is emitted only when the set changed (the first snapshot always is, even empty);
 * - a key that does not fit the backend's layout, or a value that does not decode, is reported
 *   and skipped. A key whose new value does not decode leaves the set: its old value
 *   is stale, and Kratos, which re-reads the whole set, would not list it either.
 */
export class AppSet {
  // The sorted list is the only index: an instance is found by hostname with a binary search
  // (a Map beside it would cost its entries on the heap and their filling on a cold start). Only
  // decoded instances are kept, not the values as stored: an unchanged value is decoded again and
  // keeps its object by equality, on a compaction re-read or a re-put of the same bytes.
  private list = InstanceList.empty;
  private applied: Revision | undefined;

  constructor(
    readonly appId: string,
    /** Says which hostname a key names, and decodes values: the backend's. */
    private readonly layout: KeyLayout,
    private readonly report: (error: NamingError) => void,
  ) {}

  /** The revision of the last snapshot or batch applied: where a resumed watch starts. */
  get revision(): Revision | undefined {
    return this.applied;
  }

  /** How many instances the set holds. */
  get size(): number {
    return this.list.size;
  }

  /** Applies a snapshot; returns the new set, or undefined when nothing changed. */
  applySnapshot(revision: Revision, kvs: readonly KeyValue[]): InstancesInfo | undefined {
    const first = this.applied === undefined;
    this.applied = revision;
    const previous = this.list;
    const sorted: Instance[] = [];
    let changed = false;
    for (const { key, value } of kvs) {
      const hostname = this.hostnameOf(key);
      if (hostname === undefined) continue;
      const old = first ? undefined : previous.get(hostname);
      const instance = this.decode(key, hostname, value, old);
      if (instance === undefined) continue;
      if (instance !== old) changed = true;
      sorted.push(instance);
    }
    if (!changed && sorted.length === previous.size && !first) {
      // Same hostnames with the same objects: nothing to emit. (Sizes equal and nothing new
      // means nothing left either: a layout names one hostname per key.)
      return undefined;
    }
    // etcd's range comes sorted by key, which is hostname order: sort only when it is not.
    if (!isSorted(sorted)) sorted.sort(byHostname);
    this.list = InstanceList.fromSorted(sorted);
    return this.info();
  }

  /** Applies one batch of changes; returns the new set, or undefined when nothing changed. */
  applyBatch(revision: Revision, changes: readonly KeyChange[]): InstancesInfo | undefined {
    const since = this.applied;
    const editor = this.list.edit();
    let changed = false;
    for (const change of changes) {
      if (since !== undefined && compareRevision(change.revision, since) <= 0) continue;
      const hostname = this.hostnameOf(change.key);
      if (hostname === undefined) continue;
      // The editor's view: an earlier change of the batch may have touched this hostname.
      const old = editor.get(hostname);
      if (change.type === "delete") {
        if (old === undefined) continue;
        editor.remove(hostname);
        changed = true;
        continue;
      }
      const instance = this.decode(change.key, hostname, change.value, old);
      if (instance === undefined) {
        if (old !== undefined) {
          editor.remove(hostname);
          changed = true;
        }
        continue;
      }
      if (instance !== old) {
        editor.upsert(instance);
        changed = true;
      }
    }
    if (this.applied === undefined || compareRevision(revision, this.applied) > 0) this.applied = revision;
    if (!changed) return undefined;
    this.list = editor.done();
    return this.info();
  }

  /** The current set as an `InstancesInfo` whose flat array is built on first read. */
  info(): InstancesInfo {
    const info = { appId: this.appId } as { appId: string; revision: string; [LIST]: InstanceList };
    Object.defineProperty(info, "instances", INSTANCES);
    info.revision = this.applied ?? "0";
    Object.defineProperty(info, LIST, { value: this.list });
    return Object.freeze(info) as unknown as InstancesInfo;
  }

  private hostnameOf(key: string): string | undefined {
    const fit = this.layout.hostnameOf(this.appId, key);
    if (typeof fit === "string") return fit;
    this.misfit(key, fit);
    return undefined;
  }

  /** A key the layout does not take: reported, unless it is a nested app's. */
  private misfit(key: string, misfit: KeyMisfit): void {
    if (misfit._tag === "Misfit") {
      this.report(decodeError(key, `key does not fit the ${this.layout.name} layout: ${misfit.problem}`));
    }
  }

  private decode(
    key: string,
    hostname: string,
    raw: string,
    old: Instance | undefined,
  ): Instance | undefined {
    const decoded = this.layout.decode({ key, appId: this.appId, hostname }, raw);
    if (E.isLeft(decoded)) {
      this.report(decoded.left);
      return undefined;
    }
    // An equal instance keeps its object, so that consumers can compare by identity.
    return old !== undefined && instanceEquals(old, decoded.right) ? old : decoded.right;
  }
}

const LIST = Symbol("list");

// One getter shared by every emission, reading the list from its emission: a getter made per
// emission would give every emission its own hidden class, and V8 keeps those reachable from the
// shared transition tree until a full collection, with the list and its flat array.
const INSTANCES: PropertyDescriptor = {
  get(this: { [LIST]: InstanceList }): readonly Instance[] {
    return this[LIST].toArray();
  },
  enumerable: true,
};

const isSorted = (instances: readonly Instance[]): boolean => {
  for (let i = 1; i < instances.length; i++)
    if (byHostname(instances[i - 1]!, instances[i]!) >= 0) return false;
  return true;
};
