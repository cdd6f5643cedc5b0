import type { Instance } from "../model/index.js";

// Chunks of at most this many instances. Editing one instance copies one chunk (a few hundred
// bytes) and the list of chunks (n / CHUNK pointers), never the whole set.
const CHUNK = 128;

/**
 * An immutable list of instances sorted by hostname, with structural sharing: a new version
 * shares every chunk it did not change with the old one, so applying a watch event to a set of
 * 10,000 instances costs O(log n + CHUNK + n / CHUNK), not O(n).
 */
export class InstanceList {
  static readonly empty = new InstanceList([], 0);

  /** The flat array, once read: every read of this version gives the same one. */
  private flat: readonly Instance[] | undefined;

  /** @internal Use `fromSorted`, `empty` or `edit()`. */
  constructor(
    private readonly chunks: readonly (readonly Instance[])[],
    readonly size: number,
  ) {}

  /** A list from instances already sorted by hostname, without duplicates. */
  static fromSorted(sorted: readonly Instance[]): InstanceList {
    const chunks: Instance[][] = [];
    for (let i = 0; i < sorted.length; i += CHUNK) chunks.push(sorted.slice(i, i + CHUNK));
    return new InstanceList(chunks, sorted.length);
  }

  /** The instance with this hostname: a binary search over the chunks, then in one. */
  get(hostname: string): Instance | undefined {
    return find(this.chunks, hostname);
  }

  /**
   * Every instance, sorted by hostname, as one frozen array, built on first read and the same on
   * every read after. A list of one chunk (most apps) is its own array: the chunk is frozen, as
   * no edit writes a chunk it did not copy. Chunks of larger lists stay unfrozen, because
   * concatenating frozen arrays takes V8's slow path.
   */
  toArray(): readonly Instance[] {
    return (this.flat ??=
      this.chunks.length <= 1
        ? Object.freeze(this.chunks[0] ?? [])
        : Object.freeze(([] as Instance[]).concat(...this.chunks)));
  }

  /** Starts a batch of edits; `done()` gives the new version and leaves this one as it was. */
  edit(): InstanceListEditor {
    return new InstanceListEditor(this.chunks, this.size);
  }
}

/** Copy-on-write edits of an {@link InstanceList}: each touched chunk is copied once per batch. */
export class InstanceListEditor {
  private readonly chunks: (readonly Instance[])[];
  private readonly owned = new Set<readonly Instance[]>();

  constructor(
    chunks: readonly (readonly Instance[])[],
    private size: number,
  ) {
    this.chunks = chunks.slice();
  }

  /** The instance with this hostname as the edits so far left it. */
  get(hostname: string): Instance | undefined {
    return find(this.chunks, hostname);
  }

  /** Adds an instance, or replaces the one with its hostname. */
  upsert(instance: Instance): void {
    if (this.chunks.length === 0) {
      this.chunks.push(this.own([instance]));
      this.size = 1;
      return;
    }
    let c = chunkFor(this.chunks, instance.hostname);
    if (c < 0) c = this.chunks.length - 1; // after every hostname: append to the last chunk
    const chunk = this.writable(c);
    const i = indexIn(chunk, instance.hostname);
    if (i >= 0) {
      chunk[i] = instance;
      return;
    }
    chunk.splice(~i, 0, instance);
    this.size++;
    if (chunk.length > 2 * CHUNK) {
      const tail = this.own(chunk.splice(CHUNK));
      this.chunks.splice(c + 1, 0, tail);
    }
  }

  /** Removes the instance with this hostname; false when there is none. */
  remove(hostname: string): boolean {
    const c = chunkFor(this.chunks, hostname);
    if (c < 0) return false;
    const i = indexIn(this.chunks[c]!, hostname);
    if (i < 0) return false;
    const chunk = this.writable(c);
    chunk.splice(i, 1);
    this.size--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  done(): InstanceList {
    const list = new InstanceList(this.chunks, this.size);
    // Deletes leave chunks half empty; when they are too many, re-chunk (O(n), amortised over
    // the many edits it took to get there) so the per-edit cost stays bounded.
    return this.chunks.length > 2 * Math.ceil(this.size / CHUNK) + 4
      ? InstanceList.fromSorted(list.toArray())
      : list;
  }

  private writable(c: number): Instance[] {
    const chunk = this.chunks[c]!;
    if (this.owned.has(chunk)) return chunk as Instance[];
    const copy = this.own(chunk.slice());
    this.chunks[c] = copy;
    return copy;
  }

  private own(chunk: Instance[]): Instance[] {
    this.owned.add(chunk);
    return chunk;
  }
}

/** The chunk that holds, or would hold, `hostname`: the first whose last hostname is >= it. */
const chunkFor = (chunks: readonly (readonly Instance[])[], hostname: string): number => {
  let lo = 0;
  let hi = chunks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const chunk = chunks[mid]!;
    if (chunk[chunk.length - 1]!.hostname >= hostname) {
      found = mid;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return found;
};

const find = (chunks: readonly (readonly Instance[])[], hostname: string): Instance | undefined => {
  const c = chunkFor(chunks, hostname);
  if (c < 0) return undefined;
  const chunk = chunks[c]!;
  const i = indexIn(chunk, hostname);
  return i >= 0 ? chunk[i] : undefined;
};

/** Binary search: the index of `hostname`, or `~insertionPoint` when absent. */
const indexIn = (chunk: readonly Instance[], hostname: string): number => {
  let lo = 0;
  let hi = chunk.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const h = chunk[mid]!.hostname;
    if (h < hostname) lo = mid + 1;
    else if (h > hostname) hi = mid - 1;
    else return mid;
  }
  return ~lo;
};
