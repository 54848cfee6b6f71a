import { rvfError } from '@rvfjs/types';
import { simdFloats } from './simd-memory.js';

/**
 * Vectors live in SharedArrayBuffer memory where the platform has it, so a graph worker can
 * read them without a copy (structured-cloning 50 MB would hold the event loop for tens of
 * milliseconds). Shared and plain arrays scan at the same speed. Large arrays go into a shared
 * WebAssembly memory where one can be had, so graph walks use SIMD kernels (simd-memory.ts).
 */
export function sharedFloats(length: number): Float32Array {
  const simd = simdFloats(length);
  if (simd) return simd;
  return typeof SharedArrayBuffer === 'function'
    ? new Float32Array(new SharedArrayBuffer(length * 4))
    : new Float32Array(length);
}

/** One array several copy-on-write twins use (see VectorStore.fork). */
interface SharedArray {
  users: number;
  /** Ordinals below this are visible to some twin: writing there copies first. */
  base: number;
  /** The twin that has appended past `base` in place, if one has. */
  tailOwner: VectorStore | undefined;
}

/**
 * Growable flat f32 storage addressed by dense ordinal. The runtime owns one and shares it with
 * both engines, so vectors live in memory once: the exact engine scans it directly and the HNSW
 * engine re-ranks its candidates from it (and rebuilds its stripped persistence blob from it).
 *
 * `flat` is the backing array (capacity × dimension floats; only the first count × dimension are
 * meaningful). Growth replaces it, so re-read `flat` / `view()` after writes rather than caching.
 */
export class VectorStore {
  readonly dimension: number;
  private data: Float32Array;
  private n = 0;
  /**
   * Set while `data` is shared with forks: how many stores use it. A write copies first
   * when others still do; `release()` lets a fork go without costing its twin a copy.
   */
  private share: SharedArray | undefined;

  constructor(dimension: number, initialCapacity = 1024) {
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw rvfError('DimensionMismatch', `dimension must be a positive integer, got ${dimension}`);
    }
    this.dimension = dimension;
    this.data = sharedFloats(Math.max(1, Math.floor(initialCapacity)) * dimension);
  }

  /**
   * Adopts an existing flat array without copying (count defaults to all of it). Later growth
   * copies into a new array, after which the caller's array is no longer the store's.
   */
  static wrap(
    flat: Float32Array,
    dimension: number,
    count = Math.floor(flat.length / dimension),
  ): VectorStore {
    if (count * dimension > flat.length) {
      throw rvfError(
        'DimensionMismatch',
        `${flat.length} floats cannot hold ${count} vectors of dimension ${dimension}`,
      );
    }
    const store = new VectorStore(dimension, 1);
    store.data = flat;
    store.n = count;
    return store;
  }

  /**
   * A copy-on-write twin: both stores share one array until either writes, which copies
   * first. Constant time, so a branch can start from its parent's vectors without copying
   * them; the store objects themselves stay the ones the engines hold.
   */
  fork(): VectorStore {
    const twin = new VectorStore(this.dimension, 1);
    twin.data = this.data;
    twin.n = this.n;
    this.share ??= { users: 1, base: 0, tailOwner: undefined };
    this.share.users++;
    // Every twin sees ordinals below this count; past it, the array is free for one of them.
    this.share.base = Math.max(this.share.base, this.n);
    twin.share = this.share;
    return twin;
  }

  /** Stops using the shared array (a fork that is no longer needed). The store is unusable after. */
  release(): void {
    this.leaveShare();
    this.data = new Float32Array(0);
    this.n = 0;
  }

  /**
   * Before writing ordinals from `first` on: a private copy of the array if other stores still
   * use it. Appending past what any twin can see needs no copy: the first twin to append there
   * claims the array's tail (a branch's parent keeps ingesting without copying 50 MB).
   */
  private unshare(first: number): void {
    const share = this.share;
    if (!share) return;
    if (share.users > 1) {
      if (first >= share.base && (share.tailOwner ?? this) === this) {
        share.tailOwner = this;
        return;
      }
      const copy = sharedFloats(this.data.length);
      copy.set(this.data);
      this.data = copy;
    }
    this.leaveShare();
  }

  private leaveShare(): void {
    const share = this.share;
    if (!share) return;
    share.users--;
    if (share.tailOwner === this) share.tailOwner = undefined;
    this.share = undefined;
  }

  /** Ordinals in use: 0..count-1. */
  get count(): number {
    return this.n;
  }

  /** Vectors the current buffer holds before it must grow. */
  get capacity(): number {
    return Math.floor(this.data.length / this.dimension);
  }

  /** The whole buffer, ordinal-major (capacity × dimension floats; past count is unused). */
  get flat(): Float32Array {
    return this.data;
  }

  /** Exactly the used part, count × dimension floats (a view, not a copy). */
  used(): Float32Array {
    return this.data.subarray(0, this.n * this.dimension);
  }

  /** Appends and returns the new ordinal. */
  append(vector: ArrayLike<number>): number {
    const ordinal = this.n;
    this.set(ordinal, vector);
    return ordinal;
  }

  /**
   * Writes the vector at `ordinal`, growing as needed. Writing past count extends count; any skipped
   * ordinals read as zero vectors until written.
   */
  set(ordinal: number, vector: ArrayLike<number>): void {
    const dim = this.dimension;
    if (ordinal >>> 0 !== ordinal)
      throw rvfError('KeyNotFound', `ordinal must be a u32 integer, got ${ordinal}`);
    if (vector.length !== dim) {
      throw rvfError(
        'DimensionMismatch',
        `vector has ${vector.length} components, store dimension is ${dim}`,
      );
    }
    this.ensureCapacity(ordinal + 1);
    this.unshare(ordinal);
    const off = ordinal * dim;
    // Writing a store view back onto itself (the common runtime pattern) is a no-op.
    if (
      !(
        vector instanceof Float32Array &&
        vector.buffer === this.data.buffer &&
        vector.byteOffset === this.data.byteOffset + off * 4
      )
    ) {
      this.data.set(vector, off);
    }
    if (ordinal >= this.n) this.n = ordinal + 1;
  }

  /**
   * Writes `flat.length / dimension` consecutive vectors starting at `ordinal` in one copy
   * (loading a segment of vectors without a call per vector).
   */
  setBlock(ordinal: number, flat: Float32Array): void {
    const dim = this.dimension;
    if (flat.length % dim !== 0) {
      throw rvfError('DimensionMismatch', `${flat.length} floats are not whole vectors of dimension ${dim}`);
    }
    this.fillBlock(ordinal, flat.length / dim, (dst, at) => dst.set(flat, at));
  }

  /**
   * Lets `fill` write `count` consecutive vectors starting at `ordinal` straight into the
   * backing array (at float index `at` of `dst`), so a decoder can skip an intermediate copy.
   */
  fillBlock(ordinal: number, count: number, fill: (dst: Float32Array, at: number) => void): void {
    if (ordinal >>> 0 !== ordinal)
      throw rvfError('KeyNotFound', `ordinal must be a u32 integer, got ${ordinal}`);
    this.ensureCapacity(ordinal + count);
    this.unshare(ordinal);
    fill(this.data, ordinal * this.dimension);
    if (ordinal + count > this.n) this.n = ordinal + count;
  }

  /** A live view of one vector; invalidated by growth. */
  view(ordinal: number): Float32Array {
    if (ordinal >>> 0 !== ordinal || ordinal >= this.n) {
      throw rvfError('KeyNotFound', `ordinal ${ordinal} is not in the store (count ${this.n})`);
    }
    const off = ordinal * this.dimension;
    return this.data.subarray(off, off + this.dimension);
  }

  /** Grows capacity to at least `count` vectors, doubling so appends stay amortised O(1). */
  ensureCapacity(count: number): void {
    const dim = this.dimension;
    if (count * dim <= this.data.length) return;
    let cap = Math.max(1, this.capacity);
    while (cap < count) cap *= 2;
    const next = sharedFloats(cap * dim);
    next.set(this.data.subarray(0, this.n * dim));
    this.data = next;
    // The new array is ours alone; the old one stays with the other users.
    this.leaveShare();
  }
}
