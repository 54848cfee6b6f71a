import type { VectorDigest } from './digest.js';
import { fillLayout, type GraphLayout, level0Stride } from './graph-layout.js';
import type { RvhnHeader } from './hnsw-blob.js';
import {
  growTo,
  loadQuery,
  METRIC_CODES,
  type SimdExports,
  scratchWords,
  simdExports,
  simdMemoryOf,
} from './simd-memory.js';

/**
 * A saved graph laid out inside the WebAssembly memory that holds its vectors, so a whole
 * walk (descent, beam search, heaps, visit marks) runs in simd-kernels.wat without calling
 * back into JavaScript. That matters most right after an open, the moment this project exists
 * for: a walk written in JavaScript runs unoptimised for its first hundreds of queries, while
 * WebAssembly is compiled before the first one.
 *
 * It handles the walks with no filter to ask (deleted members are marked in the layout);
 * filtered walks stay with GraphWalker's JavaScript loop, which reads the same layout through
 * views of the memory (see graph-layout.ts): the graph is held once. It is copied once (about
 * 14 MB at 100k × 128, m 16) into pages grown at the end of the memory; a shared memory never
 * shrinks, so they stay until the memory is released with its vectors.
 */
export interface SimdWalk {
  /** The memory the graph was laid out in: vectors elsewhere cannot be walked by it. */
  readonly memory: WebAssembly.Memory;
  /**
   * The layout as views of the memory. The memory is shared (simdFloats), so growing it
   * never detaches them: they are made once.
   */
  layout(): GraphLayout;
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
  /** Skips element `element` from now on, like a deleted member (walked through, never kept). */
  hide(element: number): void;
  /**
   * Feeds the vectors of elements `from`..`to` (in element order) to `digest`, as
   * VectorDigest.update would; false when `vectors` is not in this walk's memory.
   */
  digest(vectors: Float32Array, from: number, to: number, digest: VectorDigest): boolean;
}

/** Rounds a byte offset up to 8 (the heaps hold (f32, u32) pairs read as i64). */
const align8 = (n: number) => (n + 7) & ~7;

/**
 * Lays out the body of a blob checkGraph has passed (`upperWords` from it) beside `vectors`,
 * `sliceElements` elements per step so an event-loop caller can take turns; undefined when
 * the vectors are not in a SIMD memory (or it is full). `hidden` ordinals are skipped like
 * deleted members (a reader's vectors deleted after the graph was saved).
 */
export function* prepareSimdWalk(
  header: RvhnHeader,
  body: Uint32Array,
  upperWords: number,
  vectors: Float32Array,
  sliceElements: number,
  hidden?: (ordinal: number) => boolean,
  /** Words of body per WebAssembly layout call at most (tests pass small ones). */
  fillChunkWords = FILL_CHUNK_WORDS,
): Generator<void, SimdWalk | undefined, undefined> {
  const memory = simdMemoryOf(vectors);
  const { count } = header;
  if (!memory || count === 0) return undefined;
  const strideWords = level0Stride(header.m);
  // Byte offsets of the layout's arrays, then of the walk's own state.
  const l0 = memory.buffer.byteLength;
  const g = l0 + count * strideWords * 4;
  const s = g + upperWords * 4;
  const lab = s + count * 4;
  const vis = lab + count * 4;
  const cand = align8(vis + count * 2);
  const res = cand + (count + 1) * 8;
  const batch = res + (count + 1) * 8;
  // The walk's batch: an (element, vector address) pair per link of one element.
  const del = batch + strideWords * 8;
  // Where the body passes through on its way into the layout (see layOutInWasm), only while
  // the layout is made: a small graph's whole body, a large one's in chunks.
  const chunk = align8(del + count);
  const chunkWords = Math.min(body.length, fillChunkWords);
  if (!growTo(memory, chunk + chunkWords * 4)) return undefined; // the JavaScript walk it is
  // Views over the buffer as it is now, which holds the whole layout. They stay valid for
  // good: a shared memory's buffer is never detached, growing it only makes later `buffer`
  // reads return a longer one over the same bytes. (Reading `memory.buffer` per call instead
  // costs a trip into the engine each time, which measured 10 ms per 20,000 isDeleted calls.)
  const buffer = memory.buffer;
  const views: GraphLayout = {
    level0: new Uint32Array(buffer, l0, count * strideWords),
    upper: new Uint32Array(buffer, g, upperWords),
    upperAt: new Uint32Array(buffer, s, count),
    labels: new Uint32Array(buffer, lab, count),
  };
  const deleted = new Uint8Array(buffer, del, count);
  const wasm: SimdExports = simdExports(memory);
  const place: LayoutPlace = { l0, strideBytes: strideWords * 4, g, s, lab, del, chunk, chunkWords };
  let laid = yield* layOutInWasm(wasm, new Uint32Array(buffer), header, body, place, sliceElements);
  if (!laid) {
    // An element too large for the chunk (a graph with a huge M): the same layout, copied
    // from JavaScript.
    laid = { ident: 1, anyDeleted: 0 };
    const found = laid;
    yield* fillLayout(header, body, views, sliceElements, (i, ordinal, w) => {
      deleted[i] = (w >>> 8) & 1;
      found.anyDeleted |= deleted[i]!;
      if (ordinal !== i) found.ident = 0;
    });
  }
  let { ident, anyDeleted } = laid;
  if (hidden) {
    for (let from = 0; from < count; from += sliceElements) {
      yield;
      anyDeleted |= markHidden(views.labels, deleted, hidden, from, Math.min(count, from + sliceElements));
    }
  }
  // The walk's visit marks, and its answers: written over the frontier heap, which it no
  // longer needs by then.
  const visited = new Uint16Array(buffer, vis, count);
  const out = new DataView(buffer, cand, (count + 1) * 8);
  const metric = METRIC_CODES[header.metric];
  // Only numbers from here on: the walk must not keep the caller's arrays (the blob) alive.
  const { dimension, m, entryPoint, maxLevel } = header;
  let epoch = 0;
  return {
    memory,
    layout() {
      return views;
    },
    hide(element) {
      deleted[element] = 1;
      anyDeleted = 1;
    },
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

/** Words of graph body held in WebAssembly memory for the layout at a time (128 KiB). */
const FILL_CHUNK_WORDS = 1 << 15;

/** Byte offsets of the walk layout's arrays in WebAssembly memory, and of the body chunk. */
interface LayoutPlace {
  l0: number;
  strideBytes: number;
  g: number;
  s: number;
  lab: number;
  del: number;
  chunk: number;
  chunkWords: number;
}

/** Where layOutInWasm is: the next element, and the body words the chunk holds from `word`. */
interface FillPosition {
  element: number;
  word: number;
  held: number;
}

/**
 * Lays a checked body out for the walk inside WebAssembly (the module's `fill`): the body goes
 * through a chunk of memory and is spread to its places there, `sliceElements` elements per
 * step. Undefined, having laid out part of it, when an element does not fit in a chunk.
 */
function* layOutInWasm(
  wasm: SimdExports,
  words: Uint32Array,
  header: RvhnHeader,
  body: Uint32Array,
  place: LayoutPlace,
  sliceElements: number,
): Generator<void, { ident: number; anyDeleted: number } | undefined, undefined> {
  wasm.fillUpper.value = 0;
  wasm.fillIdent.value = 1;
  wasm.fillDeleted.value = 0;
  const at: FillPosition = { element: 0, word: 0, held: 0 };
  for (let from = 0; from < header.count; from += sliceElements) {
    if (from > 0) yield;
    if (!fillSlice(wasm, words, body, place, at, Math.min(header.count, from + sliceElements)))
      return undefined;
  }
  return { ident: wasm.fillIdent.value as number, anyDeleted: wasm.fillDeleted.value as number };
}

/**
 * layOutInWasm's work up to element `to`: tops the chunk up with the next body words, lays out
 * the elements it wholly holds, and moves what is left of it to its start. False when an
 * element does not fit in a full chunk.
 */
function fillSlice(
  wasm: SimdExports,
  words: Uint32Array,
  body: Uint32Array,
  place: LayoutPlace,
  at: FillPosition,
  to: number,
): boolean {
  const { l0, strideBytes, g, s, lab, del, chunk, chunkWords } = place;
  const base = chunk >>> 2;
  while (at.element < to) {
    const next = at.word + at.held;
    const add = Math.min(chunkWords - at.held, body.length - next);
    if (add > 0) words.set(body.subarray(next, next + add), base + at.held);
    at.held += add;
    const reached = wasm.fill(chunk, at.held, at.element, to, l0, strideBytes, g, s, lab, del);
    if (reached === at.element) return false;
    const used = wasm.fillUsed.value as number;
    at.element = reached;
    at.word += used;
    at.held -= used;
    if (at.held > 0) words.copyWithin(base, base + used, base + used + at.held);
  }
  return true;
}

/** Marks the elements `from`..`to` whose ordinals are `hidden` as deleted; 1 if it marked any. */
function markHidden(
  labels: Uint32Array,
  deleted: Uint8Array,
  hidden: (ordinal: number) => boolean,
  from: number,
  to: number,
): number {
  let any = 0;
  for (let i = from; i < to; i++) {
    if (hidden(labels[i]!)) {
      deleted[i] = 1;
      any = 1;
    }
  }
  return any;
}
