/**
 * A position in a round over a list, shared by the successive pickers of one subscription so
 * that an update does not restart the round (round robin, and ring hash for keyless requests).
 */
export class Cursor {
  constructor(private next = 0) {}

  /** The index to pick from a list of `length` (> 0), advancing the round. */
  step(length: number): number {
    let i = this.next;
    if (i >= length) i = 0;
    this.next = i + 1;
    return i;
  }
}
