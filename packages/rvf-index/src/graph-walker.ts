import { rvfError } from '@rvfjs/types';
import { checkDigest, VectorDigest, wordsOf } from './digest.js';
import { type DistanceKernel, distanceFn } from './distance.js';
import { checkGraph, fillLayout, type GraphLayout, level0Stride, plainLayout } from './graph-layout.js';
import { decodeRvhn, digestContext, type RvhnHeader } from './hnsw-blob.js';
import { simdKernel, simdMemoryOf } from './simd-memory.js';
import { prepareSimdWalk, type SimdWalk } from './simd-walk.js';
import { inRankOrder, type Neighbour } from './top-k.js';

/**
 * A saved HNSW graph (an RVHN blob) searched in TypeScript over the store's vectors: no add-on,
 * no file to rebuild. The graph is copied once into the layout both this walk and the
 * WebAssembly one read (graph-layout.ts), in WebAssembly memory where the vectors are.
 *
 * It exists for the moments hnswlib cannot answer: while a saved graph is still on its way into
 * hnswlib after an open (hundreds of milliseconds at 100k vectors, during which queries would
 * otherwise scan every vector), and on hosts where the add-on does not load at all. It walks the
 * same graph hnswlib would, with the same beam (ef), so it finds the same neighbours; it is
 * slower per query than native code, not less accurate.
 *
 * Distances come from the metric's own kernels over the store's vectors as they are, so every
 * distance reported is exact for the vector returned. The graph itself is trusted only as far
 * as memory safety needs: each link is range-checked as it is followed, and an element record
 * that does not parse fails the walker's preparation with a typed error. Whether the graph is
 * stale (built over other vectors) is the vector digest's question, asked separately.
 */
export class GraphWalker {
  private readonly kernel: DistanceKernel;
  /** Words per element in the layout's level-0 array. */
  private readonly stride: number;
  /** Visit marks: a query's mark is `epoch`; cleared only when the counter wraps. */
  private readonly visited: Uint16Array;
  private epoch = 0;
  /** How the last search walked: wholly in WebAssembly, or in JavaScript (with SIMD distances where the vectors allow). */
  lastWalk: 'wasm' | 'js' | undefined;
  /** Elements hidden after preparation (see hide), one byte each; undefined until one is. */
  private hiddenLater: Uint8Array | undefined;
  private readonly candidates = new DistanceHeap(64, false);
  private readonly results = new DistanceHeap(64, true);

  private constructor(
    readonly header: RvhnHeader,
    /** The graph laid out in WebAssembly memory beside its vectors, for both walks (see simd-walk.ts). */
    private readonly simd: SimdWalk | undefined,
    /** The graph laid out in ordinary arrays, when it could not be laid out beside its vectors. */
    private readonly plain: GraphLayout | undefined,
    /** Internal id of each ordinal, -1 where the graph does not hold it. */
    private readonly internal: Int32Array,
    /** Members hnswlib had marked deleted when the graph was saved (walked through, never returned). */
    readonly deletedCount: number,
    /** Ordinals never returned, as if deleted (see prepare). */
    private readonly hidden: ((ordinal: number) => boolean) | undefined,
  ) {
    this.kernel = distanceFn(header.metric);
    this.stride = level0Stride(header.m);
    this.visited = new Uint16Array(header.count);
  }

  /**
   * Parses a blob for walking over `vectorCount` vectors, yielding between slices of
   * `sliceElements` elements so a caller on the event loop can take turns (a million-element
   * graph takes tens of milliseconds to check, and as long again to lay out). The default
   * slice is about half a millisecond of work: a query that spends a budget of a few
   * milliseconds on the preparation (the runtime's hurry) then overruns it by that at most. Run it to
   * completion (see prepareGraphWalker) or step it. Fails like a saved graph that cannot be
   * used: a malformed record, or members the store does not have. The walker keeps nothing
   * of the blob: the graph is copied into its layout (see graph-layout.ts).
   */
  static *prepare(
    blob: Uint8Array,
    vectorCount: number,
    sliceElements = 4096,
    /** The vectors it will walk: in a SIMD memory, the graph is laid out beside them. */
    vectors?: Float32Array,
    /**
     * Ordinals the WebAssembly walk skips like deleted members, fixed at preparation (a
     * reader's vectors deleted after the graph was saved): its unfiltered walks then need no
     * filter for them. The JavaScript walk still needs one.
     */
    hidden?: (ordinal: number) => boolean,
  ): Generator<void, GraphWalker, undefined> {
    const { header, body } = decodeRvhn(blob);
    const checked = yield* checkGraph(header, body, vectorCount, sliceElements);
    const { deleted, internal } = checked;
    const simd = vectors
      ? yield* prepareSimdWalk(header, body, checked.upperWords, vectors, sliceElements, hidden)
      : undefined;
    let plain: GraphLayout | undefined;
    if (!simd) {
      plain = plainLayout(header, checked);
      yield* fillLayout(header, body, plain, sliceElements);
    }
    return new GraphWalker(header, simd, plain, internal, deleted, hidden);
  }

  /**
   * The layout both walks read: views of the WebAssembly memory (valid for good, see
   * SimdWalk.layout), or ordinary arrays.
   */
  private layout(): GraphLayout {
    return this.simd ? this.simd.layout() : this.plain!;
  }

  /** Ordinal of each internal id. */
  get labels(): Uint32Array {
    return this.layout().labels;
  }

  /** True when unfiltered walks run wholly in WebAssembly (the graph sits beside its vectors). */
  get walksInWasm(): boolean {
    return this.simd !== undefined;
  }

  /** Elements in the graph, deleted ones included. */
  get count(): number {
    return this.header.count;
  }

  /** Members that can be returned (not marked deleted in the saved graph). */
  get liveCount(): number {
    return this.header.count - this.deletedCount;
  }

  /**
   * True when the graph holds every ordinal below `count`, none marked deleted: then no
   * member needs asking about one by one. (Its ordinals are distinct and below the vector
   * count it was prepared for, so as many elements as ordinals means all of them.)
   */
  holdsAll(count: number): boolean {
    return this.deletedCount === 0 && this.header.count === count && this.internal.length === count;
  }

  /** True when the graph holds `ordinal` (deleted or not). */
  has(ordinal: number): boolean {
    return ordinal < this.internal.length && this.internal[ordinal]! >= 0;
  }

  /** True when the graph holds `ordinal` marked deleted. */
  isDeleted(ordinal: number): boolean {
    const id = ordinal < this.internal.length ? this.internal[ordinal]! : -1;
    if (id < 0) return false;
    const { level0, level0At } = this.layout();
    return ((level0[level0At ? level0At[id]! : id * this.stride]! >>> 8) & 1) === 1;
  }

  /**
   * True when a walk over `vectors` with no filter runs in WebAssembly: the graph was laid out
   * in their memory. Vectors copied or grown since (into a new memory) are walked in JavaScript.
   */
  walksInWasmOver(vectors: Float32Array): boolean {
    return this.simd !== undefined && simdMemoryOf(vectors) === this.simd.memory;
  }

  /**
   * Never returns `ordinal` from now on, as if it had been deleted when the graph was saved
   * (both walks pass through it): for a member deleted since, or rewritten, whose place in the
   * graph is its old vector's. False when the graph does not hold it.
   */
  hide(ordinal: number): boolean {
    const id = ordinal < this.internal.length ? this.internal[ordinal]! : -1;
    if (id < 0) return false;
    this.hiddenLater ??= new Uint8Array(this.header.count);
    this.hiddenLater[id] = 1;
    this.simd?.hide(id);
    return true;
  }

  /**
   * The k nearest members to `query` that `accept` lets through, nearest first (ties by
   * ordinal), found with beam width `ef` (at least k). `vectors` is the store's flat
   * ordinal-major storage, read as it is now.
   */
  search(
    vectors: Float32Array,
    query: Float32Array,
    k: number,
    opts: { ef?: number; accept?: (ordinal: number) => boolean } = {},
  ): Neighbour[] {
    const { count, maxLevel, entryPoint, m } = this.header;
    const dim = this.header.dimension;
    if (query.length !== dim) {
      throw rvfError('DimensionMismatch', `query has ${query.length} components, index dimension is ${dim}`);
    }
    k = Math.floor(k);
    if (!(k > 0) || count === 0) return [];
    const ef = Math.max(k, Math.floor(opts.ef ?? this.header.efSearch));
    const accept = opts.accept;
    const { kernel, stride } = this;
    const linkError = (id: number, target: number) =>
      rvfError('InvalidManifest', `HNSW graph: element ${id} links to ${target} of ${count}`);
    // A walk with no filter to ask runs wholly in WebAssembly where it can.
    if (this.simd && !accept) {
      const found = this.simd.search(vectors, query, k, ef);
      if (found && !(found instanceof Uint32Array)) {
        throw rvfError('InvalidManifest', `HNSW graph: element ${found.badLink} links outside the graph`);
      }
      if (found) {
        this.lastWalk = 'wasm';
        return exactOrder(found, vectors, query, dim, kernel);
      }
    }
    this.lastWalk = 'js';
    const { level0, level0At, upper, upperAt, labels } = this.layout();
    // Where each element's level-0 record starts: packed, or at a fixed stride beside the
    // WebAssembly walk (see graph-layout.ts).
    const recordOf = level0At ? (id: number) => level0At[id]! : (id: number) => id * stride;
    // Vectors in a SIMD-capable memory rank the walk with lane-parallel kernels; the distances
    // reported are recomputed with the exact kernel below either way.
    const simd = simdKernel(vectors, this.header.metric, dim);
    let dist: (id: number) => number;
    if (simd) {
      simd.load(query);
      const { fn, base } = simd;
      const rowBytes = dim * 4;
      dist = (id) => fn(base + labels[id]! * rowBytes, 0, dim);
    } else {
      dist = (id) => kernel(vectors, labels[id]! * dim, query, 0, dim);
    }

    // Greedy descent through the upper levels, one best node at a time.
    let cur = entryPoint;
    let curDist = dist(cur);
    for (let level = maxLevel; level > 0; level--) {
      for (let changed = true; changed; ) {
        changed = false;
        // An element below this level (only a damaged graph links to one) has no links here;
        // reading on would run into the next element's records.
        if ((level0[recordOf(cur)]! & 0xff) < level) break;
        let q = upperAt[cur]!;
        for (let l = 1; l < level; l++) q += 1 + upper[q]!;
        const c = Math.min(upper[q]!, m);
        for (let j = 1; j <= c; j++) {
          const t = upper[q + j]!;
          if (t >= count) throw linkError(cur, t);
          const d = dist(t);
          if (d < curDist) {
            curDist = d;
            cur = t;
            changed = true;
          }
        }
      }
    }

    // Beam search over level 0 (hnswlib's searchBaseLayerST): deleted or rejected members are
    // walked through but never kept.
    const visited = this.nextEpoch();
    const epoch = this.epoch;
    const cand = this.candidates;
    const res = this.results;
    cand.clear();
    res.clear();
    // With nothing deleted and nothing to reject (the common case after an open), every
    // member is kept without looking.
    const hidden = this.hidden;
    const later = this.hiddenLater;
    const keepAll = !accept && !hidden && !later && this.deletedCount === 0;
    const keep = (id: number) =>
      keepAll ||
      (((level0[recordOf(id)]! >>> 8) & 1) === 0 &&
        !hidden?.(labels[id]!) &&
        !later?.[id] &&
        (!accept || accept(labels[id]!)));
    visited[cur] = epoch;
    cand.push(curDist, cur);
    let bound = Number.POSITIVE_INFINITY;
    if (keep(cur)) {
      res.push(curDist, cur);
      bound = curDist;
    }
    while (cand.size > 0) {
      if (cand.topDistance() > bound && res.size >= ef) break;
      const id = cand.pop();
      // The element's record: its level|flags|c0 word, then its level-0 links.
      const p = recordOf(id);
      const end = p + 1 + (level0[p]! >>> 16);
      for (let j = p + 1; j < end; j++) {
        const t = level0[j]!;
        if (visited[t] === epoch) continue;
        if (t >= count) throw linkError(id, t);
        visited[t] = epoch;
        const dt = dist(t);
        if (res.size < ef || dt < bound) {
          cand.push(dt, t);
          if (keep(t)) {
            res.push(dt, t);
            if (res.size > ef) res.pop();
            bound = res.topDistance();
          }
        }
      }
    }
    while (res.size > k) res.pop();
    const out = new Array<Neighbour>(res.size);
    for (let i = res.size - 1; i >= 0; i--) {
      const d = res.topDistance();
      const ordinal = labels[res.pop()]!;
      out[i] = { ordinal, distance: simd ? kernel(vectors, ordinal * dim, query, 0, dim) : d };
    }
    // The heap orders by distance only (and, with SIMD, by a distance rounded in another
    // order than the exact one reported): ties go by ordinal, as everywhere else.
    return inRankOrder(out);
  }

  /**
   * Checks that the graph was built over `vectors` (its members' vectors as they are now), a
   * slice of `sliceVectors` members per step, so an event-loop caller can take turns: about
   * 50 MB are hashed at 100k × 128, the default slice 2 MB (about a millisecond). Throws
   * ContentHashMismatch for a stale graph.
   */
  *verify(vectors: Float32Array, sliceVectors = 4096): Generator<void, void, undefined> {
    const { header } = this;
    const { dimension: dim, count } = header;
    const words = wordsOf(vectors);
    const digest = new VectorDigest(dim, digestContext(header));
    for (let from = 0; from < count; from += sliceVectors) {
      if (from > 0) yield;
      const to = Math.min(count, from + sliceVectors);
      // Four chains at a time in WebAssembly where the graph is laid out beside the vectors.
      if (this.simd?.digest(vectors, from, to, digest)) continue;
      const labels = this.layout().labels;
      for (let i = from; i < to; i++) digest.update(words, labels[i]! * dim);
    }
    checkDigest(header.digest, digest);
  }

  private nextEpoch(): Uint16Array {
    this.epoch = (this.epoch + 1) & 0xffff;
    if (this.epoch === 0) {
      this.visited.fill(0);
      this.epoch = 1;
    }
    return this.visited;
  }
}

/**
 * Neighbours with the exact kernel's distances (the walk ranked by SIMD sums), nearest first,
 * ties by ordinal.
 */
function exactOrder(
  ordinals: Uint32Array,
  vectors: Float32Array,
  query: Float32Array,
  dim: number,
  kernel: DistanceKernel,
): Neighbour[] {
  const out = new Array<Neighbour>(ordinals.length);
  for (let i = 0; i < ordinals.length; i++) {
    const ordinal = ordinals[i]!;
    out[i] = { ordinal, distance: kernel(vectors, ordinal * dim, query, 0, dim) };
  }
  return inRankOrder(out);
}

/** Runs GraphWalker.prepare to the end in one go (small graphs, tests). */
export function prepareGraphWalker(
  blob: Uint8Array,
  vectorCount: number,
  vectors?: Float32Array,
): GraphWalker {
  const steps = GraphWalker.prepare(blob, vectorCount, undefined, vectors);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * A binary heap of (distance, id) in typed arrays: a min-heap for the walk's frontier, a
 * max-heap for the results it keeps. Grows as needed and is reused across queries.
 */
class DistanceHeap {
  private dist: Float64Array;
  private ids: Uint32Array;
  size = 0;

  constructor(
    capacity: number,
    /** True: the largest distance is on top. */
    private readonly maxOnTop: boolean,
  ) {
    this.dist = new Float64Array(capacity);
    this.ids = new Uint32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  topDistance(): number {
    return this.dist[0]!;
  }

  push(d: number, id: number): void {
    // NaN (only from NaN or infinite vectors) ranks as farthest, never poisoning comparisons.
    if (Number.isNaN(d)) d = Number.POSITIVE_INFINITY;
    if (this.size === this.dist.length) this.grow();
    const dist = this.dist;
    const ids = this.ids;
    const sign = this.maxOnTop ? 1 : -1;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((dist[parent]! - d) * sign >= 0) break;
      dist[i] = dist[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    dist[i] = d;
    ids[i] = id;
  }

  /** Removes the top and returns its id (call only when size > 0). */
  pop(): number {
    const dist = this.dist;
    const ids = this.ids;
    const top = ids[0]!;
    const n = --this.size;
    if (n === 0) return top;
    const d = dist[n]!;
    const id = ids[n]!;
    const sign = this.maxOnTop ? 1 : -1;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (dist[r]! - dist[l]!) * sign > 0 ? r : l;
      if ((dist[c]! - d) * sign <= 0) break;
      dist[i] = dist[c]!;
      ids[i] = ids[c]!;
      i = c;
    }
    dist[i] = d;
    ids[i] = id;
    return top;
  }

  private grow(): void {
    const dist = new Float64Array(this.dist.length * 2);
    const ids = new Uint32Array(this.ids.length * 2);
    dist.set(this.dist);
    ids.set(this.ids);
    this.dist = dist;
    this.ids = ids;
  }
}
