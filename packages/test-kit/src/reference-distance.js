/** f32::EPSILON: below this norm product a vector counts as zero for cosine (spec §18). */
const F32_EPSILON = 1.1920929e-7;

/**
 * The three distances of spec §18 (L2 squared, negated inner product, 1 − cosine), computed
 * naively in float64 from `dim` components of `a` (from `aOff`) and `b` (from `bOff`):
 * written independently of the library's kernels, so tests can check those against it.
 * @param {'l2' | 'inner_product' | 'cosine'} metric
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 * @returns {number}
 */
export function referenceDistance(metric, a, b, dim = a.length, aOff = 0, bOff = 0) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let d = 0; d < dim; d++) {
    const x = a[aOff + d];
    const y = b[bOff + d];
    dot += x * y;
    na += x * x;
    nb += y * y;
    l2 += (x - y) * (x - y);
  }
  if (metric === 'l2') return l2;
  if (metric === 'inner_product') return -dot;
  const den = Math.sqrt(na * nb);
  return den < F32_EPSILON ? 1 : 1 - dot / den;
}
