import type { Metric } from '@rvfjs/types';
import type { VectorDigest } from './digest.js';
import { loadQuery, type SimdExports, scratchWords, simdExports, simdMemoryOf } from './simd-memory.js';

/**
 * A saved graph laid out inside the WebAssembly memory that holds its vectors, so a whole
 * walk (descent, beam search, heaps, visit marks) runs in simd-kernels.wat without calling
 * back into JavaScript. That matters most right after an open, the moment this project exists
 * for: a walk written in JavaScript runs unoptimised for its first hundreds of queries, while
 * WebAssembly is compiled before the first one.
 *
 * It handles the walks with no filter to ask (deleted members are marked in the layout);
 * filtered walks stay with GraphWalker's JavaScript loop. The graph's words are copied once (about
 * 8 MB at 100k × 128, m 16) into pages grown at the end of the memory; a shared memory never
 * shrinks, so they stay until the memory is released with its vectors.
 */
export interface SimdWalk {
  /** The memory the graph was laid out in: vectors elsewhere cannot be walked by it. */
  readonly memory: WebAssembly.Memory;
  /** The graph's arrays as copied into the memory (views; they live as long as it does). */
  readonly copies: { body: Uint32Array; starts: Uint32Array; labels: Uint32Array };
  /**
   * The ordinals of the `ef` nearest members, nearest first (by the walk's f32 sums), cut to
   * `k`; `{ badLink: element }` when the walk met a link from that element outside the graph;
   * undefined when `vectors` is not in this walk's memory.
   */
  search(
    vectors: Float32Array,
    query: Float32Array,
    k: number,
    ef: number,
  ): Uint32Array | { badLink: number } | undefined;
  /**
   * Feeds the vectors of elements `from`..`to` (in element order) to `digest`, as
   * VectorDigest.update would; false when `vectors` is not in this walk's memory.
   */
  digest(vectors: Float32Array, from: number, to: number, digest: VectorDigest): boolean;
}

export interface SimdWalkGraph {
  metric: Metric;
  dimension: number;
  count: number;
  m: number;
  entryPoint: number;
  maxLevel: number;
  body: Uint32Array;
  starts: Uint32Array;
  labels: Uint32Array;
  /** Ordinals to skip like deleted members (a reader's vectors deleted after the graph was saved). */
  hidden?: ((ordinal: number) => boolean) | undefined;
}

const PAGE = 65_536;
const METRIC_CODE: Record<Metric, number> = { l2: 0, inner_product: 1, cosine: 2 };

/**
 * Lays `graph` out beside `vectors`, copying `sliceWords` words per step so an event-loop
 * caller can take turns; undefined when the vectors are not in a SIMD memory (or it is full).
 */
export function* prepareSimdWalk(
  graph: SimdWalkGraph,
  vectors: Float32Array,
  sliceWords = 1 << 20,
): Generator<void, SimdWalk | undefined, undefined> {
  const memory = simdMemoryOf(vectors);
  if (!memory || graph.count === 0) return undefined;
  const { count, body, starts, labels } = graph;
  const strideWords = 2 * graph.m + 1;
  const bytes =
    (body.length + 3 * count + count * strideWords) * 4 + 2 * (count + 1) * 8 + strideWords * 4 + count;
  const at = memory.buffer.byteLength;
  try {
    memory.grow(Math.ceil(bytes / PAGE));
  } catch {
    return undefined; // past the memory's maximum: the JavaScript walk it is
  }
  const g = at;
  const s = g + body.length * 4;
  const lab = s + count * 4;
  const l0 = lab + count * 4;
  const vis = l0 + count * strideWords * 4;
  const cand = vis + count * 4;
  const res = cand + (count + 1) * 8;
  const batch = res + (count + 1) * 8;
  const del = batch + strideWords * 4;
  const buffer = memory.buffer;
  const words = new Uint32Array(buffer, g, body.length);
  for (let from = 0; from < body.length; from += sliceWords) {
    if (from > 0) yield;
    words.set(body.subarray(from, from + sliceWords), from);
  }
  const startsCopy = new Uint32Array(buffer, s, count);
  startsCopy.set(starts);
  const labelsCopy = new Uint32Array(buffer, lab, count);
  labelsCopy.set(labels);
  const deleted = new Uint8Array(buffer, del, count);
  let anyDeleted = 0;
  let ident = 1;
  const level0 = new Uint32Array(buffer, l0, count * strideWords);
  const perSlice = Math.max(1, Math.floor(sliceWords / (4 * strideWords)));
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % perSlice === 0) yield;
    const p = starts[i]!;
    const w = body[p + 1]!;
    const c0 = w >>> 16;
    deleted[i] = (w >>> 8) & 1 || (graph.hidden?.(labels[i]!) ? 1 : 0);
    anyDeleted |= deleted[i]!;
    if (labels[i] !== i) ident = 0;
    let at = i * strideWords;
    level0[at] = c0;
    for (let j = p + 2, end = p + 2 + c0; j < end; j++) level0[++at] = body[j]!;
  }
  const visited = new Uint16Array(buffer, vis, count);
  // The walk writes its answer over the frontier heap, which it no longer needs by then.
  const out = new DataView(buffer, cand, (count + 1) * 8);
  const wasm: SimdExports = simdExports(memory);
  const metric = METRIC_CODE[graph.metric];
  // Only numbers from here on: the walk must not keep the caller's arrays (the blob) alive.
  const { dimension, m, entryPoint, maxLevel } = graph;
  let epoch = 0;
  return {
    memory,
    copies: { body: words, starts: startsCopy, labels: labelsCopy },
    search(vectors, query, k, ef) {
      if (simdMemoryOf(vectors) !== memory || !loadQuery(memory, query)) return undefined;
      epoch = (epoch + 1) & 0xffff;
      if (epoch === 0) {
        visited.fill(0);
        epoch = 1;
      }
      wasm.layout(g, s, lab, vis, cand, res, batch, l0, strideWords * 4, ident, anyDeleted ? del : 0);
      const found = wasm.walk(
        vectors.byteOffset,
        dimension,
        metric,
        count,
        m,
        entryPoint,
        maxLevel,
        Math.min(ef, count),
        epoch,
      );
      if (found < 0) return { badLink: -1 - found };
      // The caller reports distances from the exact kernels: only the ordinals are read.
      const n = wasm.results(k, cand);
      const ordinals = new Uint32Array(n);
      for (let i = 0; i < n; i++) ordinals[i] = out.getUint32(i * 8 + 4, true);
      return ordinals;
    },
    digest(vectors, from, to, digest) {
      if (simdMemoryOf(vectors) !== memory) return false;
      // The chain state travels through the scratch area (a search in between reuses it).
      const state = scratchWords(memory);
      state.set(digest.chains());
      wasm.layout(g, s, lab, vis, cand, res, batch, l0, strideWords * 4, ident, 0);
      wasm.digest(vectors.byteOffset, dimension, from, to, state.byteOffset);
      digest.resume(state, to - from);
      return true;
    },
  };
}
