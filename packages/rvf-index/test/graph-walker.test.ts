/**
 * GraphWalker: a saved graph searched in TypeScript must find what hnswlib finds walking the
 * same graph, report exact distances, never return deleted or rejected members, and refuse
 * graphs that are malformed or were built over other vectors. Independent answers: hnswlib
 * over the same blob, brute force, and blobs built by hand.
 */

import { describe, expect, it } from 'vitest';
import { GraphWalker, prepareGraphWalker } from '../src/graph-walker.js';
import {
  bruteForce,
  closeTo,
  clusteredVectors,
  completeGraphBlob,
  drain,
  METRICS,
  mulberry32,
  randomVectors,
  row,
} from './helpers.js';
import { createHnsw, ErrorCode, RvfError, recallAtK, VectorStore } from './imports.js';
import { nativeMissing } from './native-required.js';

const DIM = 16;

function storeOf(flat: Float32Array, dim = DIM): VectorStore {
  const s = new VectorStore(dim, flat.length / dim);
  s.setBlock(0, flat);
  return s;
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RvfError);
    return (e as RvfError).code;
  }
  return undefined;
}

describe('GraphWalker over hand-built graphs', () => {
  const n = 40;
  const flat = randomVectors(n, DIM, mulberry32(11));
  const queries = randomVectors(10, DIM, mulberry32(12));

  it('finds exactly what brute force finds when the walk can reach every member', () => {
    const walker = prepareGraphWalker(completeGraphBlob(flat, n), n);
    for (let q = 0; q < 10; q++) {
      const query = row(queries, q, DIM);
      const got = walker.search(flat, query, 5, { ef: n });
      const want = bruteForce('l2', flat, DIM, n, query, 5);
      expect(got.map((h) => h.ordinal)).toEqual(want.map((h) => h.ordinal));
      for (let i = 0; i < got.length; i++) expect(closeTo(got[i]!.distance, want[i]!.distance)).toBe(true);
    }
  });

  it('walks through deleted and rejected members without returning them', () => {
    const deleted = new Set([0, 3, 7]);
    const walker = prepareGraphWalker(completeGraphBlob(flat, n, { deleted }), n);
    expect(walker.liveCount).toBe(n - 3);
    expect(walker.isDeleted(3)).toBe(true);
    expect(walker.isDeleted(4)).toBe(false);
    const accept = (o: number) => o % 2 === 0;
    for (let q = 0; q < 10; q++) {
      const query = row(queries, q, DIM);
      const got = walker.search(flat, query, 6, { ef: n, accept });
      const want = bruteForce('l2', flat, DIM, n, query, 6, (o) => accept(o) && !deleted.has(o));
      expect(got.map((h) => h.ordinal)).toEqual(want.map((h) => h.ordinal));
    }
  });

  it('maps internal ids to the ordinals the graph names', () => {
    // Internal order differs from ordinal order, and ordinal 40 (the last) is not a member.
    const labels = Array.from({ length: n }, (_, i) => n - 1 - i);
    const more = new Float32Array((n + 1) * DIM);
    more.set(flat);
    const walker = prepareGraphWalker(completeGraphBlob(more, n, { labels }), n + 1);
    expect(walker.has(n)).toBe(false);
    expect(walker.has(0)).toBe(true);
    const query = row(queries, 0, DIM);
    expect(walker.search(more, query, 3, { ef: n }).map((h) => h.ordinal)).toEqual(
      bruteForce('l2', flat, DIM, n, query, 3).map((h) => h.ordinal),
    );
  });

  it('checks the digest: passes over the vectors it was built on, refuses changed ones', () => {
    const walker = prepareGraphWalker(completeGraphBlob(flat, n), n);
    drain(walker.verify(flat, 7)); // several slices
    const changed = flat.slice();
    changed[5 * DIM + 2] = (changed[5 * DIM + 2] ?? 0) + 1;
    expect(codeOf(() => drain(walker.verify(changed, 7)))).toBe(ErrorCode.ContentHashMismatch);
  });

  it('refuses malformed graphs with typed errors, at preparation or when a bad link is followed', () => {
    const blob = completeGraphBlob(flat, n);
    // Fewer vectors than the graph's members: a stale graph.
    expect(codeOf(() => prepareGraphWalker(blob, n - 1))).toBe(ErrorCode.ContentHashMismatch);
    // A body cut short (the body-length word says more than is there).
    expect(codeOf(() => prepareGraphWalker(blob.subarray(0, blob.length - 4), n))).toBe(
      ErrorCode.TruncatedSegment,
    );
    // A level-0 link past the last element, found when the walk reaches it.
    const bad = blob.slice();
    const view = new DataView(bad.buffer);
    view.setUint32(64 + 4 * 2, n + 5, true); // element 0's first link
    const walker = prepareGraphWalker(bad, n);
    expect(codeOf(() => walker.search(flat, row(queries, 0, DIM), 3, { ef: n }))).toBe(
      ErrorCode.InvalidManifest,
    );
    // An element whose link count runs past the stream.
    const long = blob.slice();
    new DataView(long.buffer).setUint32(64 + 4 * 1, (n + 100) << 16, true);
    expect(codeOf(() => prepareGraphWalker(long, n))).toBe(ErrorCode.InvalidManifest);
    // A query of the wrong length.
    expect(codeOf(() => prepareGraphWalker(blob, n).search(flat, new Float32Array(3), 3))).toBe(
      ErrorCode.DimensionMismatch,
    );
  });

  it('prepares in slices, yielding between them', () => {
    const steps = GraphWalker.prepare(completeGraphBlob(flat, n), n, 8);
    let yields = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) yields++;
    // Two passes: checking the records, then laying them out.
    expect(yields).toBe(2 * (n / 8 - 1));
    expect(r.value.count).toBe(n);
  });
});

describe.skipIf(nativeMissing())('GraphWalker over graphs hnswlib built', () => {
  it.each(METRICS)('%s: finds what hnswlib finds on the same saved graph', (metric) => {
    const n = 3000;
    const dim = 24;
    const flat = clusteredVectors(n, dim, 30, mulberry32(21));
    const queries = clusteredVectors(60, dim, 30, mulberry32(21)).map((x, i) => x + (i % 3) * 0.01);
    const store = storeOf(flat, dim);
    const index = createHnsw(dim, metric, { store, m: 12, efConstruction: 100, efSearch: 40 });
    for (let o = 0; o < n; o++) index.add(o, row(flat, o, dim));
    for (let o = 0; o < n; o += 50) index.markDeleted(o);
    const walker = prepareGraphWalker(index.serialize(), n);
    drain(walker.verify(flat));
    expect(walker.count).toBe(n);
    expect(walker.liveCount).toBe(n - n / 50);

    let same = 0;
    let walkRecall = 0;
    let nativeRecall = 0;
    const k = 10;
    for (let q = 0; q < 60; q++) {
      const query = row(queries, q, dim);
      const native = index.search(query, k, { ef: 40 });
      const walked = walker.search(flat, query, k, { ef: 40 });
      const truth = bruteForce(metric, flat, dim, n, query, k, (o) => o % 50 !== 0);
      for (const h of walked) {
        expect(h.ordinal % 50).not.toBe(0); // deleted members never come back
        expect(closeTo(h.distance, truth.find((t) => t.ordinal === h.ordinal)?.distance ?? h.distance)).toBe(
          true,
        );
      }
      if (recallAtK(native, walked) === 1) same++;
      walkRecall += recallAtK(truth, walked) / 60;
      nativeRecall += recallAtK(truth, native) / 60;
    }
    // The same graph and beam: the same neighbours, up to rounding-order ties.
    expect(same).toBeGreaterThanOrEqual(57);
    expect(walkRecall).toBeGreaterThan(nativeRecall - 0.01);
    expect(walkRecall).toBeGreaterThan(0.9);
  });
});
