/**
 * A set of ordinals in arrival order, with O(1) add, membership and take-first: the ordinals
 * the graph does not answer for yet. Queries scan `list` exactly; the maintainer inserts from
 * the front.
 */
export class PendingOrdinals {
  private items: number[] = [];
  private head = 0;
  private flags = new Uint8Array(1024);

  get size(): number {
    return this.items.length - this.head;
  }

  has(ordinal: number): boolean {
    return ordinal < this.flags.length && this.flags[ordinal] === 1;
  }

  add(ordinal: number): void {
    if (ordinal >= this.flags.length) {
      let n = this.flags.length;
      while (n <= ordinal) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.flags);
      this.flags = next;
    }
    if (this.flags[ordinal]) return;
    this.flags[ordinal] = 1;
    this.items.push(ordinal);
  }

  /** The first ordinal, removed (call only when size > 0). */
  shift(): number {
    const o = this.items[this.head++]!;
    this.flags[o] = 0;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return o;
  }

  /** Every ordinal, removed. */
  takeAll(): number[] {
    const out = this.items.slice(this.head);
    for (const o of out) this.flags[o] = 0;
    this.items = [];
    this.head = 0;
    return out;
  }

  /** The ordinals as they are now (a view for a scan; do not keep it across writes). */
  list(): ArrayLike<number> {
    if (this.head > 0) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items;
  }
}
