import { bitmapCount, emptyBitmap } from '@rvfjs/wire';
import type { IdKey } from './ids.js';

/** Ids a branch's dense MEMBERSHIP bitmap can hold (2^28 bits = 32 MiB). */
export const MAX_BRANCH_ID = 2 ** 28;

/** Below this id the bitmap may always grow (128 KiB); beyond, only while ids stay dense. */
const ALWAYS_DENSE = 2 ** 20;

/**
 * The set of visible ids, kept up to date as vectors are written and hidden, so that
 * branching copies a bitmap instead of scanning every vector. Small dense ids (the usual
 * case) live in a bitmap in the MEMBERSHIP layout; ids too large or too sparse for it to
 * stay small are kept in a Set, so the set is exact whatever the ids.
 */
export class LiveIds {
  private bits: Uint8Array;
  private readonly outside = new Set<IdKey>();
  /**
   * How many ids are in the set, kept as they come and go: a branch writes it into its
   * MEMBERSHIP header, and counting a bitmap's bits on that cold path (interpreted) took
   * longer than the rest of branching a 100k-vector parent.
   */
  private count: number;

  /** `count`: how many ids the set holds once built (by default, the bits set in `bits`). */
  constructor(bits = new Uint8Array(0), count = bitmapCount(bits)) {
    this.bits = bits;
    this.count = count;
  }

  /** The number of ids in the set. */
  get size(): number {
    return this.count;
  }

  /** `entries` bounds how sparse the bitmap may get: about 16 bits per vector. */
  set(id: IdKey, live: boolean, entries: number): void {
    if (typeof id === 'number' && id < this.bits.length * 8) {
      const byte = id >>> 3;
      const bit = 1 << (id & 7);
      const was = (this.bits[byte]! & bit) !== 0;
      if (live && !was) {
        this.bits[byte]! |= bit;
        this.count++;
      } else if (!live && was) {
        this.bits[byte]! &= ~bit;
        this.count--;
      }
      return;
    }
    if (!live) {
      if (this.outside.delete(id)) this.count--;
      return;
    }
    if (typeof id === 'number' && this.fitsBitmap(id, entries)) {
      this.grow(id);
      this.set(id, true, entries);
      return;
    }
    if (!this.outside.has(id)) {
      this.outside.add(id);
      this.count++;
    }
  }

  /** Whether set() would widen the bitmap to take `id` rather than park it outside. */
  private fitsBitmap(id: number, entries: number): boolean {
    return id < MAX_BRANCH_ID && (id < ALWAYS_DENSE || id < 16 * (entries + 1));
  }

  /**
   * Adds the ids `first .. first + n - 1`, none of which it holds (a load's run of new ids,
   * see IdIndex.assignRun): whole bytes of the bitmap at once where it covers them.
   */
  addRun(first: number, n: number, entries: number): void {
    if (n <= 0) return;
    const last = first + n - 1;
    if (last >= this.bits.length * 8) this.reserve(last, entries);
    if (last >= this.bits.length * 8) {
      for (let id = first; id <= last; id++) this.set(id, true, entries);
      return;
    }
    const bits = this.bits;
    let id = first;
    for (; id <= last && (id & 7) !== 0; id++) bits[id >>> 3]! |= 1 << (id & 7);
    if (last - id >= 7) {
      bits.fill(0xff, id >>> 3, (last + 1) >>> 3);
      id = ((last + 1) >>> 3) << 3;
    }
    for (; id <= last; id++) bits[id >>> 3]! |= 1 << (id & 7);
    this.count += n;
  }

  /**
   * Widens the bitmap once for a block of ids up to `maxId` that set() would put there
   * (`entries` as it will be after the block), instead of doubling step by step inside it.
   */
  reserve(maxId: number, entries: number): void {
    if (maxId >= this.bits.length * 8 && this.fitsBitmap(maxId, entries)) this.grow(maxId);
  }

  private grow(id: number): void {
    const grown = new Uint8Array(
      Math.max(emptyBitmap(id + 1).length, Math.min(this.bits.length * 2, MAX_BRANCH_ID / 8)),
    );
    grown.set(this.bits);
    this.bits = grown;
    // Ids parked outside that the bitmap now covers move in.
    for (const k of this.outside) {
      if (typeof k === 'number' && k < grown.length * 8) {
        grown[k >>> 3]! |= 1 << (k & 7);
        this.outside.delete(k);
      }
    }
  }

  has(id: IdKey): boolean {
    if (typeof id === 'number' && id < this.bits.length * 8)
      return ((this.bits[id >>> 3]! >> (id & 7)) & 1) === 1;
    return this.outside.has(id);
  }

  clone(): LiveIds {
    const twin = new LiveIds(this.bits.slice(), this.count);
    for (const k of this.outside) twin.outside.add(k);
    return twin;
  }

  /**
   * The live ids as a MEMBERSHIP bitmap of `capacity` = highest id + 1 bits, or the first id
   * that cannot be a member (≥ 2^28, or a bigint). Costs the bitmap's size, not the store's.
   */
  toMembership(): { bitmap: Uint8Array; capacity: number; count: number } | { unrepresentable: IdKey } {
    let maxId = -1;
    for (let byte = this.bits.length - 1; byte >= 0; byte--) {
      const b = this.bits[byte]!;
      if (b !== 0) {
        maxId = byte * 8 + (31 - Math.clz32(b));
        break;
      }
    }
    for (const k of this.outside) {
      if (typeof k !== 'number' || k >= MAX_BRANCH_ID) return { unrepresentable: k };
      if (k > maxId) maxId = k;
    }
    const capacity = maxId + 1;
    const bitmap = emptyBitmap(capacity);
    bitmap.set(this.bits.subarray(0, Math.min(this.bits.length, bitmap.length)));
    for (const k of this.outside) bitmap[(k as number) >>> 3]! |= 1 << ((k as number) & 7);
    return { bitmap, capacity, count: this.count };
  }
}
