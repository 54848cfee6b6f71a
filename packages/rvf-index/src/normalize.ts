/**
 * Unit-length copy of a vector as a plain array, the form hnswlib-node's API takes. Cosine indexes
 * hand hnswlib these copies in its inner-product space: we compute them ourselves (rather than
 * letting hnswlib's 'cosine' space normalise) so that the bytes in its data region are exactly
 * reproducible on load from the store's raw vectors. Zero vectors stay zero. Written into
 * `out` when given (its length must be `dim`).
 */
export function normalizedArray(
  v: Float32Array,
  off: number,
  dim: number,
  out: number[] = new Array<number>(dim),
): number[] {
  let ss = 0;
  for (let i = 0; i < dim; i++) ss += v[off + i]! * v[off + i]!;
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let i = 0; i < dim; i++) out[i] = v[off + i]! * inv;
  return out;
}

/** As normalizedArray, written as f32 into `dst` at `dstOff` (rebuilding hnswlib's data region). */
export function normalizeInto(
  v: Float32Array,
  off: number,
  dim: number,
  dst: Float32Array,
  dstOff: number,
): void {
  let ss = 0;
  for (let i = 0; i < dim; i++) ss += v[off + i]! * v[off + i]!;
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let i = 0; i < dim; i++) dst[dstOff + i] = v[off + i]! * inv;
}

/** Plain-array copy for hnswlib-node, which rejects typed arrays (into `out` when given). */
export function plainArray(
  v: Float32Array,
  off: number,
  dim: number,
  out: number[] = new Array<number>(dim),
): number[] {
  for (let i = 0; i < dim; i++) out[i] = v[off + i]!;
  return out;
}
