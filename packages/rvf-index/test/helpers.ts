import type { Metric } from '@rvfjs/types';

/** mulberry32: a tiny seeded PRNG so every test run sees the same data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal via Box–Muller. */
export function gaussian(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function randomVectors(n: number, dim: number, rng: () => number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = rng() * 2 - 1;
  return out;
}

/** Gaussian blobs around random centres: the kind of structure real embeddings have. */
export function clusteredVectors(n: number, dim: number, clusters: number, rng: () => number, spread = 0.15) {
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = gaussian(rng);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * clusters);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + spread * gaussian(rng);
  }
  return out;
}

export function row(flat: Float32Array, i: number, dim: number): Float32Array {
  return flat.subarray(i * dim, (i + 1) * dim);
}

/** Naive float64 reference for the three distance definitions. */
export function refDistance(metric: Metric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    l2 += (x - y) * (x - y);
  }
  if (metric === 'l2') return Math.fround(l2);
  if (metric === 'inner_product') return Math.fround(-dot);
  const denom = Math.sqrt(na * nb);
  if (denom < 1.1920929e-7) return 1;
  return Math.fround(1 - dot / denom);
}

/** Brute force: every distance, full sort by (distance, ordinal). */
export function bruteForce(
  metric: Metric,
  flat: Float32Array,
  dim: number,
  count: number,
  query: Float32Array,
  k: number,
  accept: (o: number) => boolean = () => true,
): { ordinal: number; distance: number }[] {
  const all: { ordinal: number; distance: number }[] = [];
  for (let o = 0; o < count; o++) {
    if (accept(o)) all.push({ ordinal: o, distance: refDistance(metric, row(flat, o, dim), query) });
  }
  all.sort((x, y) => x.distance - y.distance || x.ordinal - y.ordinal);
  return all.slice(0, k);
}

export const METRICS: Metric[] = ['l2', 'inner_product', 'cosine'];

export function closeTo(a: number, b: number, rel = 1e-6): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}
