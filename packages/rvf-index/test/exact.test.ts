import { describe, expect, it } from 'vitest';
import { ExactIndex, exactSearch, TopK, VectorStore } from '../src/index.js';
import { bruteForce, closeTo, METRICS, mulberry32, randomVectors, row } from './helpers.js';

function expectSameResults(got: { ordinal: number; distance: number }[], want: typeof got) {
  expect(got.map((r) => r.ordinal)).toEqual(want.map((r) => r.ordinal));
  for (let i = 0; i < got.length; i++) expect(closeTo(got[i]!.distance, want[i]!.distance)).toBe(true);
}

describe('TopK', () => {
  it('keeps the k smallest, ties by ordinal, ascending', () => {
    const rng = mulberry32(3);
    for (let trial = 0; trial < 50; trial++) {
      const k = 1 + Math.floor(rng() * 20);
      const n = Math.floor(rng() * 200);
      const items = Array.from({ length: n }, (_, o) => ({ ordinal: o, distance: Math.floor(rng() * 10) }));
      const top = new TopK(k);
      // Offer in a shuffled order so tie-breaking cannot lean on insertion order.
      const order = items.map((_, i) => i).sort(() => rng() - 0.5);
      for (const i of order) top.push(items[i]!.ordinal, items[i]!.distance);
      const want = [...items].sort((a, b) => a.distance - b.distance || a.ordinal - b.ordinal).slice(0, k);
      expect(top.drain()).toEqual(want);
    }
  });

  it('ranks NaN last and handles k = 0', () => {
    const top = new TopK(2);
    top.push(0, Number.NaN);
    top.push(1, 5);
    top.push(2, 7);
    expect(top.drain().map((r) => r.ordinal)).toEqual([1, 2]);
    const none = new TopK(0);
    none.push(1, 1);
    expect(none.drain()).toEqual([]);
  });
});

describe('exactSearch', () => {
  const dim = 24;
  const count = 1500;
  const flat = randomVectors(count, dim, mulberry32(11));
  const queries = randomVectors(20, dim, mulberry32(12));

  it.each(METRICS)('%s equals a brute-force sort', (metric) => {
    for (let q = 0; q < 20; q++) {
      const query = row(queries, q, dim);
      for (const k of [1, 10, 57]) {
        const got = exactSearch({ vectors: flat, dimension: dim, metric, query, k, count });
        expectSameResults(got, bruteForce(metric, flat, dim, count, query, k));
      }
    }
  });

  it.each(METRICS)('%s honours accept filters and candidate lists', (metric) => {
    const rng = mulberry32(99);
    const accept = (o: number) => o % 7 === 3;
    const candidates = Array.from({ length: 300 }, () => Math.floor(rng() * count));
    const candSet = new Set(candidates);
    for (let q = 0; q < 10; q++) {
      const query = row(queries, q, dim);
      const filtered = exactSearch({ vectors: flat, dimension: dim, metric, query, k: 10, count, accept });
      expectSameResults(filtered, bruteForce(metric, flat, dim, count, query, 10, accept));
      // Candidates with repeats and out-of-range entries: repeats count once, strays are ignored.
      const withStrays = Uint32Array.from([...candidates, count + 5, candidates[0]!]);
      const cand = exactSearch({
        vectors: flat,
        dimension: dim,
        metric,
        query,
        k: 10,
        count,
        candidates: withStrays,
      });
      expectSameResults(
        cand,
        bruteForce(metric, flat, dim, count, query, 10, (o) => candSet.has(o)),
      );
      const both = exactSearch({
        vectors: flat,
        dimension: dim,
        metric,
        query,
        k: 10,
        count,
        candidates,
        accept,
      });
      expectSameResults(
        both,
        bruteForce(metric, flat, dim, count, query, 10, (o) => candSet.has(o) && accept(o)),
      );
    }
  });

  it('breaks distance ties by ascending ordinal', () => {
    const d = 4;
    const v = new Float32Array(50 * d);
    for (let o = 0; o < 50; o++) v.set([o % 5, 1, 0, 0], o * d); // ten copies of each of five vectors
    const got = exactSearch({
      vectors: v,
      dimension: d,
      metric: 'l2',
      query: Float32Array.of(0, 1, 0, 0),
      k: 12,
      count: 50,
    });
    expect(got.map((r) => r.ordinal)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 1, 6]);
    expect(got.slice(0, 10).every((r) => r.distance === 0)).toBe(true);
  });

  it('respects count and handles k larger than n, k = 0 and empty input', () => {
    const got = exactSearch({
      vectors: flat,
      dimension: dim,
      metric: 'l2',
      query: row(queries, 0, dim),
      k: 100,
      count: 7,
    });
    expect(got).toHaveLength(7);
    expect(got.every((r) => r.ordinal < 7)).toBe(true);
    expect(
      exactSearch({ vectors: flat, dimension: dim, metric: 'l2', query: row(queries, 0, dim), k: 0, count }),
    ).toEqual([]);
    expect(
      exactSearch({
        vectors: flat,
        dimension: dim,
        metric: 'l2',
        query: row(queries, 0, dim),
        k: 5,
        count: 0,
      }),
    ).toEqual([]);
  });

  it('rejects a query of the wrong dimension', () => {
    expect(() =>
      exactSearch({ vectors: flat, dimension: dim, metric: 'l2', query: new Float32Array(3), k: 5, count }),
    ).toThrow(/DimensionMismatch/);
  });

  it('scans 100k × 128 quickly', () => {
    const n = 100_000;
    const d = 128;
    const big = randomVectors(n, d, mulberry32(5));
    const query = randomVectors(1, d, mulberry32(6));
    for (const metric of METRICS) exactSearch({ vectors: big, dimension: d, metric, query, k: 10, count: n }); // warm up
    const times: Record<string, number> = {};
    for (const metric of METRICS) {
      const t0 = performance.now();
      const reps = 5;
      for (let r = 0; r < reps; r++)
        exactSearch({ vectors: big, dimension: d, metric, query, k: 10, count: n });
      times[metric] = (performance.now() - t0) / reps;
    }
    console.log(`exact scan 100k×128 ms/query: ${JSON.stringify(times)}`);
    for (const t of Object.values(times)) expect(t).toBeLessThan(250); // generous: shared CI boxes
  });
});

describe('VectorStore and ExactIndex', () => {
  it('grows by doubling and keeps vectors addressable by ordinal', () => {
    const store = new VectorStore(3, 2);
    for (let i = 0; i < 9; i++) expect(store.append([i, i + 1, i + 2])).toBe(i);
    expect(store.count).toBe(9);
    expect(store.capacity).toBe(16);
    expect(Array.from(store.view(4))).toEqual([4, 5, 6]);
    store.set(12, [1, 1, 1]);
    expect(store.count).toBe(13);
    expect(Array.from(store.view(10))).toEqual([0, 0, 0]);
    expect(store.used().length).toBe(39);
    store.set(4, store.view(4)); // self-write is harmless
    expect(Array.from(store.view(4))).toEqual([4, 5, 6]);
    expect(() => store.set(1, [1, 2])).toThrow(/DimensionMismatch/);
    expect(() => store.view(13)).toThrow(/KeyNotFound/);
    const wrapped = VectorStore.wrap(Float32Array.of(1, 2, 3, 4), 2);
    expect(wrapped.count).toBe(2);
  });

  it.each(METRICS)('%s ExactIndex searches the shared store and hides deleted ordinals', (metric) => {
    const dim = 8;
    const flat = randomVectors(300, dim, mulberry32(21));
    const store = new VectorStore(dim, 4);
    const index = new ExactIndex(store, metric);
    for (let o = 0; o < 300; o++) index.add(o, row(flat, o, dim));
    expect(index.kind).toBe('exact');
    expect(index.count).toBe(300);
    const query = randomVectors(1, dim, mulberry32(22));
    const top = index.search(query, 5);
    expectSameResults(top, bruteForce(metric, flat, dim, 300, query, 5));
    index.markDeleted(top[0]!.ordinal);
    index.markDeleted(top[0]!.ordinal); // idempotent
    expect(index.isDeleted(top[0]!.ordinal)).toBe(true);
    expect(index.liveCount).toBe(299);
    const after = index.search(query, 5, { filter: (o) => o % 2 === 0 || o % 2 === 1 });
    expect(after.map((r) => r.ordinal)).not.toContain(top[0]!.ordinal);
    expect(after[0]!.ordinal).toBe(top[1]!.ordinal);
    index.add(top[0]!.ordinal, row(flat, top[0]!.ordinal, dim)); // re-add undeletes
    expect(index.search(query, 1)[0]!.ordinal).toBe(top[0]!.ordinal);
    const cand = index.search(query, 3, { candidates: [5, 6, 7, 8] });
    expectSameResults(
      cand,
      bruteForce(metric, flat, dim, 300, query, 3, (o) => o >= 5 && o <= 8),
    );
  });
});
