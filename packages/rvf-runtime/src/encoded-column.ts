import type { MetaValue } from '@rvfjs/wire';
import {
  addFieldIds,
  decodeFields,
  encodeFields,
  fieldsToObject,
  forEachValue,
  maxEncodedSize,
  trustedEnd,
} from './encoded-fields.js';
import type { FieldTable, MetaObject, MetaScalar } from './metadata.js';

/** Arenas for written field lists grow to this size (bulk ingests fill many). */
const MAX_ARENA = 1 << 20;
/** Replaced bytes tolerated before a rewrite repacks the column (see set). */
const STALE_SLACK = 1 << 20;

/**
 * Metadata by ordinal in its stored encoding (encoded-fields.ts): byte chunks — loaded
 * metadata payloads, whose records are pointed at in place, and arenas that writes append
 * to — and per ordinal the chunk and offset of its field list. Two typed arrays per ordinal
 * (8 bytes) instead of an array, objects and BigInts per record, and nothing for the
 * garbage collector to trace.
 *
 * Not shared: MetadataColumn gives each writer its own copy (copy()), which never appends to
 * an arena the original may still append to.
 */
export class EncodedColumn {
  private chunks: Uint8Array[] = [];
  private views: DataView[] = [];
  /** Chunk index + 1 of each ordinal's field list; 0 where it has no metadata. */
  private chunkOf = new Uint32Array(16);
  private atOf = new Uint32Array(16);
  /** Ordinals below this may have metadata; the others read as none. */
  private count = 0;
  /** The chunk writes append to (-1: none yet) and the first free byte in it. */
  private arena = -1;
  private fill = 0;
  /** Bytes held in chunks, and bytes of field lists no ordinal points at any more. */
  private held = 0;
  private stale = 0;

  /** One past the highest ordinal that was given metadata (or cleared). */
  get size(): number {
    return this.count;
  }

  /** Holds `bytes` (a loaded payload) so that field lists in it can be pointed at; its index. */
  addChunk(bytes: Uint8Array): number {
    this.chunks.push(bytes);
    this.views.push(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.held += bytes.length;
    return this.chunks.length - 1;
  }

  /** Points `ordinal` at the (checked) field list at `at` in chunk `chunk`. */
  point(ordinal: number, chunk: number, at: number): void {
    this.release(ordinal);
    this.chunkOf[ordinal] = chunk + 1;
    this.atOf[ordinal] = at;
  }

  /** Gives `ordinal` no metadata. */
  clear(ordinal: number): void {
    this.release(ordinal);
  }

  /**
   * Sets an ordinal's metadata: undefined is none; a list, even an empty one, is encoded
   * into an arena. Rewrites leave their old bytes behind; once those outweigh the rest,
   * the live lists are copied into one new arena, so a writer that keeps rewriting holds
   * about twice its metadata at most.
   */
  set(ordinal: number, fields: readonly MetaValue[] | undefined): void {
    if (fields === undefined) {
      this.clear(ordinal);
      return;
    }
    const need = maxEncodedSize(fields);
    if (this.arena < 0 || this.fill + need > this.chunks[this.arena]!.length) this.openArena(need);
    const at = this.fill;
    this.fill = encodeFields(fields, this.chunks[this.arena]!, this.views[this.arena]!, at);
    this.point(ordinal, this.arena, at);
    if (this.stale > STALE_SLACK && 2 * this.stale > this.held) this.repack();
  }

  has(ordinal: number): boolean {
    return ordinal < this.count && this.chunkOf[ordinal] !== 0;
  }

  /** The ordinal's fields decoded (fresh objects), or undefined. */
  get(ordinal: number): MetaValue[] | undefined {
    const c = this.chunkIndex(ordinal);
    return c < 0 ? undefined : decodeFields(this.chunks[c]!, this.views[c]!, this.atOf[ordinal]!);
  }

  /** The ordinal's metadata as a fresh object, or undefined. */
  objectOf(ordinal: number, names: FieldTable): MetaObject | undefined {
    const c = this.chunkIndex(ordinal);
    return c < 0 ? undefined : fieldsToObject(this.chunks[c]!, this.views[c]!, this.atOf[ordinal]!, names);
  }

  /** Calls `visit(fieldId, value)` for each field of the ordinal (see encoded-fields.ts for the values). */
  forEachValue(ordinal: number, visit: (fieldId: number, value: MetaScalar) => void): void {
    const c = this.chunkIndex(ordinal);
    if (c >= 0) forEachValue(this.chunks[c]!, this.views[c]!, this.atOf[ordinal]!, visit);
  }

  /**
   * `read(arg, bytes, view, at)` on the ordinal's field list, with `at` = -1 when it has none
   * (an argument rather than a closure: filters call this per candidate).
   */
  read<A, R>(ordinal: number, arg: A, read: (arg: A, bytes: Uint8Array, view: DataView, at: number) => R): R {
    const c = this.chunkIndex(ordinal);
    return c < 0
      ? read(arg, NO_BYTES, NO_VIEW, -1)
      : read(arg, this.chunks[c]!, this.views[c]!, this.atOf[ordinal]!);
  }

  /** Every field id some ordinal's metadata uses. */
  fieldIds(): Set<number> {
    const out = new Set<number>();
    for (let o = 0; o < this.count; o++) {
      const c = this.chunkOf[o]!;
      if (c !== 0) addFieldIds(this.chunks[c - 1]!, this.views[c - 1]!, this.atOf[o]!, out);
    }
    return out;
  }

  /** An independent copy; it appends to arenas of its own. */
  copy(): EncodedColumn {
    const c = new EncodedColumn();
    c.chunks = this.chunks.slice();
    c.views = this.views.slice();
    c.chunkOf = new Uint32Array(Math.max(16, this.count));
    c.chunkOf.set(this.chunkOf.subarray(0, this.count));
    c.atOf = new Uint32Array(c.chunkOf.length);
    c.atOf.set(this.atOf.subarray(0, this.count));
    c.count = this.count;
    c.held = this.held;
    c.stale = this.stale;
    return c;
  }

  private chunkIndex(ordinal: number): number {
    return ordinal < this.count ? this.chunkOf[ordinal]! - 1 : -1;
  }

  /** Forgets the ordinal's field list (counting its bytes as stale), making room for it. */
  private release(ordinal: number): void {
    if (ordinal >= this.count) {
      if (ordinal >= this.chunkOf.length) {
        const n = Math.max(ordinal + 1, this.chunkOf.length * 2);
        const chunkOf = new Uint32Array(n);
        chunkOf.set(this.chunkOf);
        const atOf = new Uint32Array(n);
        atOf.set(this.atOf);
        this.chunkOf = chunkOf;
        this.atOf = atOf;
      }
      this.count = ordinal + 1;
      return;
    }
    const c = this.chunkOf[ordinal]!;
    if (c === 0) return;
    const at = this.atOf[ordinal]!;
    this.stale += trustedEnd(this.chunks[c - 1]!, this.views[c - 1]!, at) - at;
    this.chunkOf[ordinal] = 0;
  }

  private openArena(need: number): void {
    const last = this.arena < 0 ? 0 : this.chunks[this.arena]!.length;
    const bytes = new Uint8Array(Math.max(need, Math.min(MAX_ARENA, Math.max(1024, 2 * last))));
    this.arena = this.addChunk(bytes);
    this.fill = 0;
  }

  /** Copies every live field list into one arena and drops the old chunks. */
  private repack(): void {
    let total = 0;
    for (let o = 0; o < this.count; o++) {
      const c = this.chunkOf[o]!;
      if (c !== 0)
        total += trustedEnd(this.chunks[c - 1]!, this.views[c - 1]!, this.atOf[o]!) - this.atOf[o]!;
    }
    const bytes = new Uint8Array(Math.max(1024, total));
    let fill = 0;
    for (let o = 0; o < this.count; o++) {
      const c = this.chunkOf[o]!;
      if (c === 0) continue;
      const at = this.atOf[o]!;
      const end = trustedEnd(this.chunks[c - 1]!, this.views[c - 1]!, at);
      bytes.set(this.chunks[c - 1]!.subarray(at, end), fill);
      this.chunkOf[o] = 1;
      this.atOf[o] = fill;
      fill += end - at;
    }
    this.chunks = [];
    this.views = [];
    this.held = 0;
    this.stale = 0;
    this.arena = this.addChunk(bytes);
    this.fill = fill;
  }
}

const NO_BYTES = new Uint8Array(0);
const NO_VIEW = new DataView(NO_BYTES.buffer);
