import { AsyncSubject, type Observable } from "rxjs";
import type { NamingError } from "../../model/index.js";

/**
 * That something a registration stands on (a lease, a session) is gone: told once, with why, to
 * every subscriber, late ones included. Ended without a loss when it is given up on purpose.
 */
export class LostSignal {
  private readonly subject = new AsyncSubject<NamingError>();
  /** Emits the loss once, then completes; completes without a value when ended on purpose. */
  readonly lost$: Observable<NamingError> = this.subject.asObservable();

  /** Whether it was lost or ended: nothing more will be told. */
  get settled(): boolean {
    return this.subject.isStopped;
  }

  /** Tells the loss, unless it was settled already. False then. */
  fire(error: NamingError): boolean {
    if (this.subject.isStopped) return false;
    this.subject.next(error);
    this.subject.complete();
    return true;
  }

  /** Ends it without a loss. */
  end(): void {
    this.subject.complete();
  }
}
