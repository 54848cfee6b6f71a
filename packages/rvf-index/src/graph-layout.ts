import { rvfError } from '@rvfjs/types';
import type { RvhnHeader } from './hnsw-blob.js';

/**
 * A saved graph in the one form both of its walkers read: GraphWalker's loop in TypeScript and
 * the walk in WebAssembly (simd-walk.ts). Where the vectors live in WebAssembly memory these
 * arrays are views into it, beside the vectors; elsewhere they are ordinary arrays. Either way
 * the saved blob is not kept: at a million members its links are about 80 MB, and one copy
 * of them is all a walk needs.
 *
 * Each element's level-0 record is its level|flags|c0 word as the blob has it (level in bits
 * 0-7, deleted in bit 8, level-0 link count in bits 16-31), then its c0 level-0 links. Beside
 * WebAssembly walks the records sit at a fixed stride (room for 2M links), so that finding an
 * element's links needs no lookup: level 0 is where a walk spends nearly all its time. In
 * ordinary arrays, walked only by TypeScript, they are packed instead, found through
 * `level0At`: at M 16 elements average about 18 links of their 32, so packing saves a third.
 * The few elements with upper levels (about 1 in M) keep those packed, in the blob's format.
 */
export interface GraphLayout {
  /** The level-0 records: at element × level0Stride(M) words, or where `level0At` says. */
  readonly level0: Uint32Array;
  /** Word index in `level0` of each element's record when they are packed; absent at a fixed stride. */
  readonly level0At?: Uint32Array | undefined;
  /** Per element with upper levels, in element order: for each level 1..L its link count, then its links. */
  readonly upper: Uint32Array;
  /** Word index in `upper` of each element's level-1 count (0, never read, for level-0 elements). */
  readonly upperAt: Uint32Array;
  /** Ordinal of each element. */
  readonly labels: Uint32Array;
}

/** What checking a blob's body found: enough to size its layout, and the ordinal→element map. */
export interface CheckedGraph {
  /** Words `upper` needs. */
  upperWords: number;
  /** Words `level0` needs packed (a record of 1 + c0 words per element). */
  packedLevel0Words: number;
  /** Members marked deleted in the saved graph. */
  deleted: number;
  /** Internal id of each ordinal, -1 where the graph does not hold it. */
  internal: Int32Array;
}

/** Words per element in `level0`: the level|flags|c0 word, then room for 2M links. */
export function level0Stride(m: number): number {
  return 2 * m + 1;
}

/**
 * Checks every element record of `body` (the blob's words after its header) for walking over
 * `vectorCount` vectors, yielding every `sliceElements` elements. Fails with a typed error on
 * a malformed record (InvalidManifest) or members the store does not have (ContentHashMismatch),
 * so the layout below can copy records without checking them again.
 *
 * The generator only hands out slices; the per-element work is a plain function called once
 * per slice. V8 optimises a loop while it runs (on-stack replacement) in plain functions but
 * not in generators, and a fresh process runs this once: inside the generator the loop stayed
 * in the interpreter for the whole check, several times slower.
 */
export function* checkGraph(
  header: RvhnHeader,
  body: Uint32Array,
  vectorCount: number,
  sliceElements: number,
): Generator<void, CheckedGraph, undefined> {
  const state: CheckState = {
    internal: new Int32Array(vectorCount).fill(-1),
    p: 0,
    deleted: 0,
    upperWords: 0,
    packedLevel0Words: 0,
    entryLevel: -1,
  };
  for (let from = 0; from < header.count; from += sliceElements) {
    if (from > 0) yield;
    checkElements(header, body, vectorCount, state, from, Math.min(header.count, from + sliceElements));
  }
  const { p, internal, deleted, upperWords, packedLevel0Words, entryLevel } = state;
  if (p !== body.length) throw corrupt(`${body.length - p} words after the last element`, p);
  if (header.count > 0 && entryLevel !== header.maxLevel) {
    throw corrupt(
      `entry point ${header.entryPoint} is not an element on the top level ${header.maxLevel}`,
      0,
    );
  }
  return { upperWords, packedLevel0Words, deleted, internal };
}

/** What checkGraph carries from one slice to the next. */
interface CheckState {
  internal: Int32Array;
  /** Word index in the body of the next element's record. */
  p: number;
  deleted: number;
  upperWords: number;
  packedLevel0Words: number;
  /** The entry point's level, once met. */
  entryLevel: number;
}

const corrupt = (message: string, at: number) =>
  rvfError('InvalidManifest', `HNSW graph: ${message}`, { offset: 64 + 4 * at });

/**
 * The level|flags|c0 word of element `i`, whose record starts at word `p` of a graph body,
 * checked against the graph's shape and the vectors it is for: known flags, a level within the
 * graph, at most 2M level-0 links, and an ordinal the store has. Both readers of the stream
 * check this much (graph-layout.ts for walking, hnsw-file.ts for hnswlib); `corrupt` makes
 * their error for a malformed word (they place it differently).
 */
export function checkedElementWord(
  body: Uint32Array,
  p: number,
  i: number,
  shape: { m: number; maxLevel: number },
  vectorCount: number,
  corrupt: (message: string, at: number) => Error,
): number {
  const label = body[p]!;
  const w = body[p + 1]!;
  const level = w & 0xff;
  const flags = (w >>> 8) & 0xff;
  const c0 = w >>> 16;
  if (flags > 1) throw corrupt(`element ${i} has unknown flags ${flags}`, p + 1);
  if (level > shape.maxLevel)
    throw corrupt(`element ${i} level ${level} above the top level ${shape.maxLevel}`, p + 1);
  if (c0 > 2 * shape.m) throw corrupt(`element ${i} has ${c0} level-0 links (max ${2 * shape.m})`, p + 1);
  if (label >= vectorCount) {
    throw rvfError(
      'ContentHashMismatch',
      `HNSW graph refers to ordinal ${label} but only ${vectorCount} vectors were provided (stale index)`,
    );
  }
  return w;
}

/** checkGraph's work for elements `from`..`to`. */
function checkElements(
  header: RvhnHeader,
  body: Uint32Array,
  vectorCount: number,
  state: CheckState,
  from: number,
  to: number,
): void {
  const { m, entryPoint } = header;
  const { internal } = state;
  const len = body.length;
  let p = state.p;
  for (let i = from; i < to; i++) {
    if (p + 2 > len) throw corrupt(`the stream ends inside element ${i}`, p);
    const label = body[p]!;
    const w = checkedElementWord(body, p, i, header, vectorCount, corrupt);
    const level = w & 0xff;
    const flags = (w >>> 8) & 0xff;
    const c0 = w >>> 16;
    if (internal[label] !== -1) throw corrupt(`ordinal ${label} appears twice`, p);
    internal[label] = i;
    if (i === entryPoint) state.entryLevel = level;
    state.deleted += flags;
    state.packedLevel0Words += 1 + c0;
    p += 2 + c0;
    const upperFrom = p;
    for (let l = 1; l <= level; l++) {
      if (p >= len) throw corrupt(`the stream ends inside element ${i}`, p);
      const c = body[p]!;
      if (c > m) throw corrupt(`element ${i} level ${l} has ${c} links (max ${m})`, p);
      p += 1 + c;
    }
    if (p > len) throw corrupt(`the stream ends inside element ${i}`, len);
    state.upperWords += p - upperFrom;
  }
  state.p = p;
}

/**
 * Copies a checked body (see checkGraph) into `layout`, `sliceElements` elements per step (the
 * work in a plain function per slice, as in checkGraph). `each`, when given, is told every
 * element's number, ordinal and level|flags|c0 word as it is copied (the WebAssembly layout
 * marks its deleted members from them).
 */
export function* fillLayout(
  header: RvhnHeader,
  body: Uint32Array,
  layout: GraphLayout,
  sliceElements: number,
  each?: (element: number, ordinal: number, word: number) => void,
): Generator<void, void, undefined> {
  const at: FillPosition = { p: 0, u: 0, packed: 0 };
  for (let from = 0; from < header.count; from += sliceElements) {
    if (from > 0) yield;
    fillElements(header, body, layout, at, from, Math.min(header.count, from + sliceElements), each);
  }
}

/** Where fillLayout is, from one slice to the next: in the body, in `upper`, in packed level 0. */
interface FillPosition {
  p: number;
  u: number;
  packed: number;
}

/** fillLayout's work for elements `from`..`to`. */
function fillElements(
  header: RvhnHeader,
  body: Uint32Array,
  layout: GraphLayout,
  pos: FillPosition,
  from: number,
  to: number,
  each: ((element: number, ordinal: number, word: number) => void) | undefined,
): void {
  const { level0, level0At, upper, upperAt, labels } = layout;
  const stride = level0Stride(header.m);
  let { p, u, packed } = pos;
  for (let i = from; i < to; i++) {
    const label = body[p]!;
    const w = body[p + 1]!;
    labels[i] = label;
    each?.(i, label, w);
    let at = i * stride;
    if (level0At) {
      at = packed;
      level0At[i] = at;
      packed += 1 + (w >>> 16);
    }
    level0[at] = w;
    // One native copy per element: in a fresh process this runs once, mostly before V8 has
    // optimised it, where a word-by-word loop over 20,000 elements' links took 10 ms.
    const end = p + 2 + (w >>> 16);
    level0.set(body.subarray(p + 2, end), at + 1);
    p = end;
    let level = w & 0xff;
    if (level === 0) continue;
    // The upper levels follow the level-0 links in the blob, already in the packed format.
    upperAt[i] = u;
    const start = p;
    for (; level > 0; level--) p += 1 + body[p]!;
    upper.set(body.subarray(start, p), u);
    u += p - start;
  }
  pos.p = p;
  pos.u = u;
  pos.packed = packed;
}

/** A layout in ordinary arrays, its level-0 records packed (vectors outside WebAssembly memory). */
export function plainLayout(header: RvhnHeader, checked: CheckedGraph): GraphLayout {
  const { count } = header;
  return {
    level0: new Uint32Array(checked.packedLevel0Words),
    level0At: new Uint32Array(count),
    upper: new Uint32Array(checked.upperWords),
    upperAt: new Uint32Array(count),
    labels: new Uint32Array(count),
  };
}
