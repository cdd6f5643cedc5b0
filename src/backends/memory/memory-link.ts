import { BehaviorSubject } from "rxjs";

/**
 * The line between one memory client and the store, which a test can cut as a TCP proxy cuts
 * etcd: while it is down, that client's calls fail, its keep-alives stop (so the store expires
 * its leases on schedule) and its watches break; other clients of the same store go on.
 */
export class MemoryLink {
  private readonly state = new BehaviorSubject(true);
  /** Whether the line is up, now and on every change. */
  readonly up$ = this.state.asObservable();

  /** Whether the line is up. */
  get isUp(): boolean {
    return this.state.value;
  }

  /** Cuts the line: this client's calls fail and its leases run down from now. */
  cut(): void {
    if (this.state.value) this.state.next(false);
  }

  /** Restores the line: the client finds out what it missed (a lost lease, a changed set). */
  restore(): void {
    if (!this.state.value) this.state.next(true);
  }
}
