import { type Metric, rvfError } from '@rvfjs/types';
import { distanceFn } from './distance.js';
import { type SimdScan, simdScan } from './simd-memory.js';
import { type Neighbour, TopK } from './top-k.js';

/** The inputs of an exact (brute-force) k-NN scan. */
export interface ExactSearchParams {
  /** Flat ordinal-major storage: ordinal o occupies [o·dimension, (o+1)·dimension). */
  vectors: Float32Array;
  dimension: number;
  metric: Metric;
  query: Float32Array;
  k: number;
  /** Ordinals in use: 0..count-1. Anything at or past count is ignored. */
  count: number;
  /** Restricts the scan to these ordinals (out-of-range entries are skipped, repeats count once). */
  candidates?: ArrayLike<number>;
  /** Called before the distance is computed, so a selective filter also saves the arithmetic. */
  accept?: (ordinal: number) => boolean;
}

/**
 * Brute-force k-nearest neighbours: the ground truth the HNSW engine is measured against and the
 * engine the runtime uses when a filter is so selective that a graph walk would mostly visit
 * rejected nodes. Results ascend by distance, ties by ordinal — the reference's order.
 */
export function exactSearch(params: ExactSearchParams): Neighbour[] {
  const { vectors, dimension: dim, metric, query, candidates, accept } = params;
  if (!Number.isInteger(dim) || dim <= 0) {
    throw rvfError('DimensionMismatch', `dimension must be a positive integer, got ${dim}`);
  }
  if (query.length !== dim) {
    throw rvfError('DimensionMismatch', `query has ${query.length} components, index dimension is ${dim}`);
  }
  const k = Math.floor(params.k);
  if (!(k > 0)) return [];
  const count = Math.min(Math.floor(params.count), Math.floor(vectors.length / dim));
  if (!(count > 0)) return [];

  const kernel = distanceFn(metric);
  const top = new TopK(Math.min(k, candidates ? candidates.length : count));
  if (candidates) {
    for (let i = 0; i < candidates.length; i++) {
      const o = candidates[i]!;
      // `o >>> 0 === o` keeps non-negative integers in u32 range and drops NaN/fractions.
      if (o >>> 0 !== o || o >= count) continue;
      if (accept && !accept(o)) continue;
      top.pushUnique(o, kernel(vectors, o * dim, query, 0, dim));
    }
    return top.drain();
  }
  // A filter is asked before the arithmetic, which a selective one mostly saves: only an
  // unfiltered scan computes every row's distance, and then does it in WebAssembly if it can.
  const simd = accept ? undefined : simdScan(vectors, metric, dim);
  if (simd) return simdExact(simd, query, count, k, params);
  if (accept) {
    for (let o = 0; o < count; o++) {
      if (accept(o)) top.push(o, kernel(vectors, o * dim, query, 0, dim));
    }
  } else {
    for (let o = 0, off = 0; o < count; o++, off += dim) top.push(o, kernel(vectors, off, query, 0, dim));
  }
  return top.drain();
}

/**
 * More candidates than asked for that a WebAssembly scan keeps: its sums round in another
 * order than the exact kernels, so the k-th nearest by one may be the (k+1)-th by the other
 * when distances differ in their last bits. The candidates' exact distances decide.
 */
const SIMD_SLACK = 16;

/**
 * An unfiltered scan in WebAssembly (vectors in a SIMD memory): SIMD distances a run of rows
 * per call, the best k + SIMD_SLACK kept, then ranked by their exact distances, so the answer
 * is the exact kernels' (equal distances by ordinal) whatever the rounding.
 */
function simdExact(
  simd: SimdScan,
  query: Float32Array,
  count: number,
  k: number,
  { vectors, dimension: dim, metric }: ExactSearchParams,
): Neighbour[] {
  const wide = new TopK(Math.min(count, k + SIMD_SLACK));
  simd.load(query);
  for (let from = 0; from < count; from += simd.maxRows) {
    const to = Math.min(count, from + simd.maxRows);
    const d = simd.distances(from, to);
    // Most rows lose to the worst kept: one comparison, no call (rows come in ordinal order,
    // so an equal distance loses too). While the heap is not full the bound is +Infinity and
    // everything is offered, a NaN or infinite distance included.
    let bound = wide.bound;
    for (let i = 0, o = from; o < to; i++, o++) {
      const x = d[i]!;
      if (x < bound || (bound === Number.POSITIVE_INFINITY && !wide.full)) {
        wide.push(o, x);
        bound = wide.bound;
      }
    }
  }
  const kernel = distanceFn(metric);
  const top = new TopK(Math.min(k, count));
  for (const { ordinal } of wide.drain()) top.push(ordinal, kernel(vectors, ordinal * dim, query, 0, dim));
  return top.drain();
}
