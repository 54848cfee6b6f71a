/**
 * One byte of state per ordinal in a growable Uint8Array: cheaper than a Set<number> for dense
 * ordinals and O(1) to consult inside hot scan loops and native filter callbacks.
 */
export class OrdinalFlags {
  private bytes: Uint8Array;

  constructor(initialCapacity = 1024) {
    this.bytes = new Uint8Array(Math.max(16, initialCapacity));
  }

  get(ordinal: number): number {
    return ordinal < this.bytes.length ? this.bytes[ordinal]! : 0;
  }

  set(ordinal: number, value: number): void {
    if (ordinal >= this.bytes.length) {
      if (value === 0) return;
      let cap = this.bytes.length;
      while (cap <= ordinal) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.bytes);
      this.bytes = next;
    }
    this.bytes[ordinal] = value;
  }
}
