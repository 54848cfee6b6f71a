import { type Metric, rvfError } from '@rvfjs/types';
import { distanceFn } from './distance.js';
import { type SimdScan, simdKernel, simdScan } from './simd-memory.js';
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
  /**
   * `accept` turns few rows away (a liveness check: deleted or hidden members): the scan then
   * runs in WebAssembly like an unfiltered one and asks `accept` only of the nearest rows it
   * keeps, falling back to asking every row when too many of those are turned away.
   */
  acceptRejectsFew?: boolean;
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
  if (candidates && candidates.length >= SIMD_CANDIDATES_FROM) {
    // Candidates that are one run of consecutive rows (a branch child's own vectors, a
    // writer's latest ingest) are scanned as rows, in one call.
    const run = consecutiveRun(candidates, count);
    const simd = run && simdScan(vectors, metric, dim);
    const fast =
      (simd && run && simdExact(simd, run.end, k, params, run.start)) ||
      simdCandidates(params, candidates, count, k);
    if (fast) return fast;
  }
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
  const simd = accept && !params.acceptRejectsFew ? undefined : simdScan(vectors, metric, dim);
  const fast = simd && simdExact(simd, count, k, params);
  if (fast) return fast;
  if (accept) {
    for (let o = 0; o < count; o++) {
      if (accept(o)) top.push(o, kernel(vectors, o * dim, query, 0, dim));
    }
  } else {
    for (let o = 0, off = 0; o < count; o++, off += dim) top.push(o, kernel(vectors, off, query, 0, dim));
  }
  return top.drain();
}

/** The rows `start`..`end` when `candidates` lists exactly them, in order (and they exist). */
function consecutiveRun(
  candidates: ArrayLike<number>,
  count: number,
): { start: number; end: number } | undefined {
  const start = candidates[0]!;
  const end = start + candidates.length;
  if (start >>> 0 !== start || end > count) return undefined;
  for (let i = 1; i < candidates.length; i++) if (candidates[i] !== start + i) return undefined;
  return { start, end };
}

/** Fewer candidates than this are ranked by the exact kernels alone (setting up costs more). */
const SIMD_CANDIDATES_FROM = 32;

/**
 * A candidate list over vectors in a SIMD memory (a writer's pending vectors, a branch
 * child's own): ranked by SIMD distances, the k + SIMD_SLACK nearest kept and ordered by
 * their exact distances, as simdExact does for a whole scan. Undefined where the vectors
 * are not in a SIMD memory.
 */
function simdCandidates(
  params: ExactSearchParams,
  candidates: ArrayLike<number>,
  count: number,
  k: number,
): Neighbour[] | undefined {
  const { vectors, dimension: dim, metric, query, accept } = params;
  const simd = simdKernel(vectors, metric, dim);
  if (!simd) return undefined;
  simd.load(query);
  const { fn, base } = simd;
  const rowBytes = dim * 4;
  const rough = new TopK(Math.min(k + SIMD_SLACK, candidates.length));
  for (let i = 0; i < candidates.length; i++) {
    const o = candidates[i]!;
    if (o >>> 0 !== o || o >= count) continue;
    if (accept && !accept(o)) continue;
    rough.pushUnique(o, fn(base + o * rowBytes, 0, dim));
  }
  return rankedExactly(
    rough.drain().map((n) => n.ordinal),
    params,
    Math.min(k, candidates.length),
  );
}

/**
 * The `k` nearest of `ordinals` (a first pass's pick) by the exact kernels' distances, equal
 * ones by ordinal: what a WebAssembly first pass hands to the answer.
 */
function rankedExactly(ordinals: ArrayLike<number>, params: ExactSearchParams, k: number): Neighbour[] {
  const { vectors, dimension: dim, metric, query } = params;
  const kernel = distanceFn(metric);
  const top = new TopK(k);
  for (let i = 0; i < ordinals.length; i++) {
    const o = ordinals[i]!;
    top.push(o, kernel(vectors, o * dim, query, 0, dim));
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
 * An unfiltered scan in WebAssembly (vectors in a SIMD memory): the k + SIMD_SLACK nearest by
 * SIMD distance (equal ones by ordinal) in one call, then ranked by their exact distances, so
 * the answer is the exact kernels' whatever the rounding. Undefined when that many candidates
 * do not fit beside the query (a very large k): the scalar scan answers.
 */
function simdExact(
  simd: SimdScan,
  count: number,
  k: number,
  params: ExactSearchParams,
  /** The first row scanned (rows from..count). */
  from = 0,
): Neighbour[] | undefined {
  const { query, accept } = params;
  const rows = count - from;
  const wanted = Math.min(rows, k + SIMD_SLACK);
  if (wanted > simd.maxKeep) return undefined;
  // With a filter that turns few rows away, room for as many rejections again.
  const keep = accept ? Math.min(rows, 2 * wanted, simd.maxKeep) : wanted;
  const nearest = simd.nearest(query, count, keep, from);
  const kept = accept ? nearest.filter((o) => accept(o)) : nearest;
  // Exact only if the accepted rows still reach past the rounding slack, or every row was kept.
  if (accept && kept.length < wanted && keep < rows) return undefined;
  // The nearest `wanted` accepted ones (nearest first) are all the exact ranking needs.
  return rankedExactly(kept.subarray(0, wanted), params, Math.min(k, rows));
}
