import { type Metric, rvfError } from '@rvfjs/types';

/**
 * Distance kernels with the reference's exact definitions. Each reads two vectors straight out of
 * flat ordinal-major storage at element offsets, so a scan over n vectors allocates nothing.
 *
 * Products of two f32 values are exact in float64, so accumulating in float64 and rounding once
 * with Math.fround lands on (or within an ulp of) what the reference's f32 arithmetic produces,
 * which keeps us inside the 1e-6 relative agreement the format promises. Four accumulators give
 * the CPU independent dependency chains; the summation order only moves float64 rounding noise.
 */
export type DistanceKernel = (
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  dim: number,
) => number;

/** f32::EPSILON (2^-23): the reference's "zero-length vector" threshold for cosine. */
export const F32_EPSILON = 1.1920928955078125e-7;

/** Squared Euclidean distance, Σ(a−b)², without the square root (ranking does not need it). */
export function l2Squared(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end4 = dim - (dim & 3);
  let i = 0;
  for (; i < end4; i += 4) {
    const d0 = a[aOff + i]! - b[bOff + i]!;
    const d1 = a[aOff + i + 1]! - b[bOff + i + 1]!;
    const d2 = a[aOff + i + 2]! - b[bOff + i + 2]!;
    const d3 = a[aOff + i + 3]! - b[bOff + i + 3]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < dim; i++) {
    const d = a[aOff + i]! - b[bOff + i]!;
    s0 += d * d;
  }
  return Math.fround(s0 + s1 + s2 + s3);
}

/** Negated dot product, −Σab, so that "smaller is closer" holds for inner-product search too. */
export function negDot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end4 = dim - (dim & 3);
  let i = 0;
  for (; i < end4; i += 4) {
    s0 += a[aOff + i]! * b[bOff + i]!;
    s1 += a[aOff + i + 1]! * b[bOff + i + 1]!;
    s2 += a[aOff + i + 2]! * b[bOff + i + 2]!;
    s3 += a[aOff + i + 3]! * b[bOff + i + 3]!;
  }
  for (; i < dim; i++) s0 += a[aOff + i]! * b[bOff + i]!;
  // `0 - s` rather than `-s` so an orthogonal pair reports +0, not -0.
  return Math.fround(0 - (s0 + s1 + s2 + s3));
}

/** 1 − ab/√(|a|²|b|²), or exactly 1 when either vector is (numerically) zero-length. */
export function cosineDistance(
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  dim: number,
): number {
  // Two interleaved sets of accumulators, for the same reason as the other kernels.
  let dot0 = 0;
  let dot1 = 0;
  let na0 = 0;
  let na1 = 0;
  let nb0 = 0;
  let nb1 = 0;
  const end2 = dim - (dim & 1);
  let i = 0;
  for (; i < end2; i += 2) {
    const x0 = a[aOff + i]!;
    const y0 = b[bOff + i]!;
    const x1 = a[aOff + i + 1]!;
    const y1 = b[bOff + i + 1]!;
    dot0 += x0 * y0;
    na0 += x0 * x0;
    nb0 += y0 * y0;
    dot1 += x1 * y1;
    na1 += x1 * x1;
    nb1 += y1 * y1;
  }
  if (i < dim) {
    const x = a[aOff + i]!;
    const y = b[bOff + i]!;
    dot0 += x * y;
    na0 += x * x;
    nb0 += y * y;
  }
  const denom = Math.sqrt((na0 + na1) * (nb0 + nb1));
  // The reference compares its f32 denominator, so round before comparing.
  if (Math.fround(denom) < F32_EPSILON) return 1;
  return Math.fround(1 - (dot0 + dot1) / denom);
}

/** The kernel for a metric; throws MetricUnsupported for anything else (e.g. an unchecked cast). */
export function distanceFn(metric: Metric): DistanceKernel {
  switch (metric) {
    case 'l2':
      return l2Squared;
    case 'inner_product':
      return negDot;
    case 'cosine':
      return cosineDistance;
    default:
      throw rvfError('MetricUnsupported', `unknown metric ${JSON.stringify(metric)}`);
  }
}

/** Convenience for whole vectors (tests, one-off checks); scans should use the kernels directly. */
export function distance(metric: Metric, a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) {
    throw rvfError('DimensionMismatch', `vectors of length ${a.length} and ${b.length}`);
  }
  return distanceFn(metric)(a, 0, b, 0, a.length);
}
