import type { Metric } from '@rvfjs/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusteredVectors, gaussian, METRICS, mulberry32, row } from './helpers.js';
import {
  createHnsw,
  distanceFn,
  exactSearch,
  type HnswIndex,
  RvfError,
  recallAtK,
  VectorStore,
} from './imports.js';
import { nativeMissing } from './native-required.js';

const N = 5000;
const DIM = 32;
const K = 10;
const QUERIES = 100;

const data = clusteredVectors(N, DIM, 50, mulberry32(1));
// Queries: fresh points near the data (perturbed data points), so neighbourhoods are meaningful.
const queries = (() => {
  const rng = mulberry32(2);
  const q = new Float32Array(QUERIES * DIM);
  for (let i = 0; i < QUERIES; i++) {
    const src = Math.floor(rng() * N);
    for (let j = 0; j < DIM; j++) q[i * DIM + j] = data[src * DIM + j]! + 0.1 * gaussian(rng);
  }
  return q;
})();

function truth(
  metric: Metric,
  store: VectorStore,
  query: Float32Array,
  k: number,
  accept?: (o: number) => boolean,
) {
  return exactSearch({ vectors: store.flat, dimension: DIM, metric, query, k, count: store.count, accept });
}

function build(metric: Metric, opts: Parameters<typeof createHnsw>[2] = {}): HnswIndex {
  const store = new VectorStore(DIM);
  const index = createHnsw(DIM, metric, { store, ...opts });
  index.addBatch(
    Uint32Array.from({ length: N }, (_, i) => i),
    data,
  );
  return index;
}

describe.skipIf(nativeMissing())('HNSW engine (hnswlib-node)', () => {
  const built = new Map<Metric, HnswIndex>();
  beforeAll(() => {
    for (const metric of METRICS) built.set(metric, build(metric));
  }, 120_000);

  it.each(METRICS)('%s: recall@10 ≥ 0.95 at defaults, with our distances (L2 within 1e-6)', (metric) => {
    const index = built.get(metric)!;
    expect(index.kind).toBe('hnsw');
    expect(index.count).toBe(N);
    expect(index.m).toBe(16);
    expect(index.efConstruction).toBe(200);
    expect(index.efSearch).toBe(100);
    const kernel = distanceFn(metric);
    let recall = 0;
    for (let q = 0; q < QUERIES; q++) {
      const query = row(queries, q, DIM);
      const got = index.search(query, K);
      expect(got).toHaveLength(K);
      for (let i = 0; i < got.length; i++) {
        const r = got[i]!;
        const exact = kernel(index.store.flat, r.ordinal * DIM, query, 0, DIM);
        // L2 distances are hnswlib's own f32 sums (another summation order); the others are ours.
        if (metric === 'l2') expect(Math.abs(r.distance - exact)).toBeLessThanOrEqual(1e-6 * exact);
        else expect(r.distance).toBe(exact);
        if (i > 0) {
          const p = got[i - 1]!;
          expect(p.distance < r.distance || (p.distance === r.distance && p.ordinal < r.ordinal)).toBe(true);
        }
      }
      recall += recallAtK(truth(metric, index.store, query, K), got);
    }
    recall /= QUERIES;
    console.log(`${metric} recall@10 = ${recall.toFixed(4)}`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it.each(METRICS)(
    '%s: filtered search returns only accepted ordinals (10 and 1 percent selectivity)',
    (metric) => {
      const index = built.get(metric)!;
      const rng = mulberry32(77);
      const ten = new Uint8Array(N).map(() => (rng() < 0.1 ? 1 : 0));
      const one = new Uint8Array(N).map(() => (rng() < 0.01 ? 1 : 0));
      let recall10 = 0;
      let recall1 = 0;
      for (let q = 0; q < QUERIES; q++) {
        const query = row(queries, q, DIM);
        const f10 = (o: number) => ten[o] === 1;
        const f1 = (o: number) => one[o] === 1;
        const got10 = index.search(query, K, { filter: f10 });
        const got1 = index.search(query, K, { filter: f1 });
        expect(got10.every((r) => f10(r.ordinal))).toBe(true);
        expect(got1.every((r) => f1(r.ordinal))).toBe(true);
        expect(got10).toHaveLength(K);
        expect(got1).toHaveLength(K); // widening ef finds k survivors even at 1%
        recall10 += recallAtK(truth(metric, index.store, query, K, f10), got10);
        recall1 += recallAtK(truth(metric, index.store, query, K, f1), got1);
      }
      console.log(
        `${metric} filtered recall@10: 10% → ${(recall10 / QUERIES).toFixed(4)}, 1% → ${(recall1 / QUERIES).toFixed(4)}`,
      );
      expect(recall10 / QUERIES).toBeGreaterThanOrEqual(0.9);
      // At 1 % the beam widens until k survive; the graph still finds most true neighbours.
      expect(recall1 / QUERIES).toBeGreaterThanOrEqual(0.9);
    },
  );

  it('a per-query ef changes the beam and candidates are answered exactly', () => {
    const index = built.get('l2')!;
    const query = row(queries, 0, DIM);
    const wide = index.search(query, K, { ef: 400 });
    expect(recallAtK(truth('l2', index.store, query, K), wide)).toBe(1);
    const cands = [3, 99, 1234, 4999, 17];
    const got = index.search(query, 3, { candidates: cands, filter: (o) => o !== 99 });
    const want = truth('l2', index.store, query, 3, (o) => cands.includes(o) && o !== 99);
    expect(got).toEqual(want);
  });

  it('a throwing filter surfaces its error without crashing the add-on', () => {
    const index = built.get('l2')!;
    const boom = new Error('filter exploded');
    expect(() =>
      index.search(row(queries, 0, DIM), K, {
        filter: () => {
          throw boom;
        },
      }),
    ).toThrow(boom);
    expect(index.search(row(queries, 0, DIM), K)).toHaveLength(K); // still usable
  });

  it.each(METRICS)('%s: deleted ordinals are never returned; re-adding undeletes', (metric) => {
    const index = build(metric, { m: 8, efConstruction: 64 });
    const rng = mulberry32(5);
    const deleted = new Set<number>();
    // Delete the true top-3 of every query plus a random 10%.
    for (let q = 0; q < 20; q++)
      for (const r of truth(metric, index.store, row(queries, q, DIM), 3)) deleted.add(r.ordinal);
    for (let o = 0; o < N; o++) if (rng() < 0.1) deleted.add(o);
    for (const o of deleted) index.markDeleted(o);
    index.markDeleted(N + 10); // unknown: no-op
    index.markDeleted([...deleted][0]!); // already deleted: no-op
    expect(index.liveCount).toBe(N - deleted.size);
    for (const o of deleted) expect(index.isDeleted(o)).toBe(true);
    const live = (o: number) => !deleted.has(o);
    let recall = 0;
    for (let q = 0; q < QUERIES; q++) {
      const query = row(queries, q, DIM);
      const got = index.search(query, K);
      expect(got.some((r) => deleted.has(r.ordinal))).toBe(false);
      recall += recallAtK(truth(metric, index.store, query, K, live), got);
    }
    expect(recall / QUERIES).toBeGreaterThan(0.9);
    const back = [...deleted][0]!;
    index.add(back, row(data, back, DIM));
    expect(index.isDeleted(back)).toBe(false);
    expect(index.search(row(data, back, DIM), 1)[0]!.ordinal).toBe(back);
  });

  it.each(METRICS)('%s: re-adding an ordinal replaces its vector', (metric) => {
    const index = build(metric, { m: 8, efConstruction: 64 });
    const target = 1234;
    const query = row(queries, 42, DIM);
    const before = index.search(query, K);
    expect(before.map((r) => r.ordinal)).not.toContain(target);
    // Move 1234 onto the query (for IP also scaled up, so it out-ranks the query's neighbours).
    const moved = Float32Array.from(query, (x) => (metric === 'inner_product' ? x * 3 : x));
    index.add(target, moved);
    expect(index.count).toBe(N);
    expect(Array.from(index.store.view(target))).toEqual(Array.from(moved));
    const after = index.search(query, K);
    expect(after[0]!.ordinal).toBe(target);
    expect(after[0]!.distance).toBe(distanceFn(metric)(moved, 0, query, 0, DIM));
    // And it is gone from its old neighbourhood.
    const old = row(data, target, DIM);
    const near = index.search(old, 3);
    expect(near.map((r) => r.ordinal)).not.toContain(target);
  });

  it.each(METRICS)(
    'equal distances come back in ordinal order (%s), whatever order hnswlib gives them',
    (metric) => {
      // Twelve copies of one vector at scattered ordinals among others: every copy is at the
      // same distance from the query, so only the tie rule decides their order.
      const dim = 8;
      const index = createHnsw(dim, metric as Metric, { maxElements: 200 });
      const rng = mulberry32(9);
      const dup = Float32Array.from({ length: dim }, () => rng() + 1);
      const copies = [190, 3, 77, 150, 12, 99, 41, 160, 5, 120, 64, 180];
      // The copies go in first, in this scrambled order, so neither insertion order nor
      // hnswlib's internal ids line up with the ordinals.
      for (const o of copies) index.add(o, dup);
      for (let o = 0; o < 200; o++) {
        // Small others: for inner product too, nothing beats a copy (a dot ≤ 4 against ≥ 8).
        if (!copies.includes(o))
          index.add(
            o,
            Float32Array.from({ length: dim }, () => rng() * 0.5 - 0.25),
          );
      }
      const got = index.search(dup, 12, { ef: 200 });
      for (let i = 1; i < got.length; i++) {
        const a = got[i - 1]!;
        const b = got[i]!;
        expect(a.distance < b.distance || (a.distance === b.distance && a.ordinal < b.ordinal)).toBe(true);
      }
      expect(got.map((h) => h.ordinal).sort((x, y) => x - y)).toEqual([...copies].sort((x, y) => x - y));
    },
  );

  it('grows past its initial capacity by doubling', () => {
    const store = new VectorStore(DIM, 1);
    const index = createHnsw(DIM, 'l2', { store, maxElements: 100 });
    expect(index.capacity).toBe(100);
    for (let o = 0; o < 1000; o++) index.add(o, row(data, o, DIM));
    expect(index.count).toBe(1000);
    expect(index.capacity).toBe(1600);
    let found = 0;
    for (let o = 0; o < 1000; o += 7) if (index.search(row(data, o, DIM), 1)[0]!.ordinal === o) found++;
    expect(found).toBeGreaterThan(135); // of 143 (duplicates in clusters are possible but rare)
    // addBatch over vectors already in the store, in one capacity step.
    const more = Uint32Array.from({ length: 1000 }, (_, i) => 1000 + i);
    for (const o of more) store.set(o, row(data, o, DIM));
    index.addBatch(more);
    expect(index.count).toBe(2000);
    expect(index.capacity).toBe(3200);
  });

  it('validates input', () => {
    const index = createHnsw(4, 'cosine', { maxElements: 4 });
    expect(() => index.add(0, new Float32Array(3))).toThrow(RvfError);
    expect(() => index.search(new Float32Array(5), 1)).toThrow(/DimensionMismatch/);
    expect(index.search(new Float32Array(4), 3)).toEqual([]);
    index.add(0, Float32Array.of(0, 0, 0, 0)); // zero vector: cosine distance 1 to everything
    index.add(1, Float32Array.of(1, 0, 0, 0));
    const got = index.search(Float32Array.of(1, 0, 0, 0), 5);
    expect(got).toEqual([
      { ordinal: 1, distance: 0 },
      { ordinal: 0, distance: 1 },
    ]);
    expect(index.search(Float32Array.of(1, 0, 0, 0), 0)).toEqual([]);
    expect(() => createHnsw(4, 'l2', { m: 1 })).toThrow(RvfError);
    expect(() => createHnsw(4, 'l2', { efConstruction: 0 })).toThrow(RvfError);
    expect(() => createHnsw(4, 'hamming' as Metric)).toThrow(/MetricUnsupported/);
    expect(() => createHnsw(4, 'l2', { store: new VectorStore(5) })).toThrow(/DimensionMismatch/);
  });
});
