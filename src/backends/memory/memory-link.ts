import { BehaviorSubject } from "rxjs";

/**
 * The line between one memory client and the store, which a test can cut as a TCP proxy cuts
 * etcd: while it is down, that client's calls fail, its keep-alives stop (so the store expires
 * its leases on schedule) and its watches break; other clients of the same store go on.
 */
export class MemoryLink {
  private readonly state = new BehaviorSubject(true);
  readonly up$ = this.state.asObservable();

  get isUp(): boolean {
    return this.state.value;
  }

  cut(): void {
    if (this.state.value) this.state.next(false);
  }

  restore(): void {
    if (!this.state.value) this.state.next(true);
  }
}
