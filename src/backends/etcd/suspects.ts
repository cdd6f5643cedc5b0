/** How long a member stays suspect after it failed a call or a stream (default). */
const SUSPECT_MS = 5_000;

/**
 * The etcd members recently seen hung or unreachable, each until when. A suspect is not shunned,
 * only put last in line: a lone member is simply used.
 */
export class Suspects {
  private readonly until = new Map<string, number>();

  /** Puts `host` last in line for `forMs`. */
  add(host: string | undefined, forMs = SUSPECT_MS): void {
    if (host !== undefined) this.until.set(host, Date.now() + forMs);
  }

  /** Whether `host` was seen hung or unreachable lately. */
  has(host: string | undefined): boolean {
    if (host === undefined) return false;
    const until = this.until.get(host);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(host);
    return false;
  }

  /** The members suspect now. */
  list(): string[] {
    return [...this.until.keys()].filter((host) => this.has(host));
  }

  /**
   * `members` in the order to try them: healthy ones first (in the given order), then suspects,
   * the one whose suspicion ends first first.
   */
  order<M extends { readonly host: string }>(members: readonly M[]): M[] {
    const healthy = members.filter((m) => !this.has(m.host));
    const suspects = members
      .filter((m) => this.has(m.host))
      .sort((a, b) => (this.until.get(a.host) ?? 0) - (this.until.get(b.host) ?? 0));
    return [...healthy, ...suspects];
  }
}
