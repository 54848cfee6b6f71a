import { referenceDistance } from '@rvfjs/test-kit';
import type { Metric } from '@rvfjs/types';
import { vectorDigest } from '../src/digest.js';
import { digestContext, encodeRvhn, type RvhnHeader } from '../src/hnsw-blob.js';

export { mulberry32 } from '@rvfjs/test-kit';

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

/** The float64 reference distance, rounded to f32 as the kernels' results are. */
export function refDistance(metric: Metric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.fround(referenceDistance(metric, a, b));
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

/**
 * A graph in which every element links to every other on level 0: any walk of it reaches every
 * member, so the walker's answer must be brute force's. `levels` (by element) puts elements on
 * upper levels too, each linked there to every other element that high (at most m of them);
 * the entry point is the first element on the top level.
 */
export function completeGraphBlob(
  flat: Float32Array,
  n: number,
  opts: { deleted?: Set<number>; labels?: number[]; metric?: Metric; dim?: number; levels?: number[] } = {},
) {
  const DIM = opts.dim ?? 16;
  const labels = opts.labels ?? Array.from({ length: n }, (_, i) => i);
  const levelOf = (i: number) => opts.levels?.[i] ?? 0;
  const m = Math.max(2, Math.ceil(n / 2)); // level 0 holds up to 2m links
  const maxLevel = Math.max(0, ...(opts.levels ?? []));
  const words: number[] = [];
  for (let i = 0; i < n; i++) {
    const links = labels.map((_, j) => j).filter((j) => j !== i);
    const flags = opts.deleted?.has(i) ? 1 : 0;
    words.push(labels[i]!, levelOf(i) | (flags << 8) | (links.length << 16), ...links);
    for (let l = 1; l <= levelOf(i); l++) {
      const up = links.filter((j) => levelOf(j) >= l);
      words.push(up.length, ...up);
    }
  }
  const shape = {
    metric: opts.metric ?? ('l2' as Metric),
    dimension: DIM,
    count: n,
    capacity: n,
    m,
    efConstruction: 10,
    efSearch: 10,
    maxLevel,
    entryPoint: Math.max(
      0,
      labels.findIndex((_, i) => levelOf(i) === maxLevel),
    ),
    mult: 1 / Math.log(m),
  };
  const header: RvhnHeader = { ...shape, digest: vectorDigest(flat, DIM, labels, digestContext(shape)) };
  return encodeRvhn(header, Uint32Array.from(words));
}

/** Runs a sliced generator (a preparation, a verification) to its end. */
export function drain<T>(steps: Generator<void, T, undefined>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
