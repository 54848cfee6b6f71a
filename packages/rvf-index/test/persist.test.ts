import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Metric } from '@rvfjs/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusteredVectors, gaussian, METRICS, mulberry32, row } from './helpers.js';
import {
  createHnsw,
  deserializeHnsw,
  ErrorCode,
  type HnswIndex,
  RVHN_MAGIC,
  RvfError,
  VectorStore,
} from './imports.js';
import { nativeMissing } from './native-required.js';

const N = 3000;
const DIM = 128;
const data = clusteredVectors(N, DIM, 30, mulberry32(31), 0.3);
const queries = (() => {
  const rng = mulberry32(32);
  const q = new Float32Array(50 * DIM);
  for (let i = 0; i < 50; i++) {
    const src = Math.floor(rng() * N);
    for (let j = 0; j < DIM; j++) q[i * DIM + j] = data[src * DIM + j]! + 0.05 * gaussian(rng);
  }
  return q;
})();

function copyStore(store: VectorStore): VectorStore {
  return VectorStore.wrap(store.used().slice(), store.dimension);
}

function scratchFiles(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith(`rvfjs-hnsw-${process.pid}-`));
}

/** Must throw an RvfError — a raw Error or a crash fails the test. */
function expectRvfError(fn: () => unknown, code?: number): RvfError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RvfError);
    if (code !== undefined) expect((err as RvfError).code).toBe(code);
    return err as RvfError;
  }
  throw new Error('expected an RvfError');
}

function sameAnswers(a: HnswIndex, b: HnswIndex, filter?: (o: number) => boolean) {
  for (let q = 0; q < 50; q++) {
    const query = row(queries, q, DIM);
    expect(b.search(query, 10, { filter })).toEqual(a.search(query, 10, { filter }));
  }
}

describe.skipIf(nativeMissing())('HNSW persistence', () => {
  const built = new Map<Metric, { index: HnswIndex; blob: Uint8Array; deleted: number[] }>();
  beforeAll(() => {
    for (const metric of METRICS) {
      const store = new VectorStore(DIM);
      const index = createHnsw(DIM, metric, { store, maxElements: 4096, efSearch: 64 });
      index.addBatch(
        Uint32Array.from({ length: N }, (_, i) => i),
        data,
      );
      if (metric === 'cosine') index.add(17, new Float32Array(DIM)); // a zero vector survives the trip
      const deleted = [5, 99, 1500, 2999];
      for (const o of deleted) index.markDeleted(o);
      built.set(metric, { index, blob: index.serialize(), deleted });
    }
  }, 120_000);

  it.each(METRICS)('%s: serialize → deserialize gives identical search results', (metric) => {
    const { index, blob, deleted } = built.get(metric)!;
    const before = scratchFiles().length;
    // Same store, and a reopened store holding equal vectors.
    for (const store of [index.store, copyStore(index.store)]) {
      const loaded = deserializeHnsw(blob, store);
      expect(loaded.metric).toBe(metric);
      expect(loaded.count).toBe(N);
      expect(loaded.liveCount).toBe(N - deleted.length);
      expect(loaded.m).toBe(16);
      expect(loaded.efConstruction).toBe(200);
      expect(loaded.efSearch).toBe(64);
      for (const o of deleted) expect(loaded.isDeleted(o)).toBe(true);
      expect(loaded.isDeleted(6)).toBe(false);
      sameAnswers(index, loaded);
      sameAnswers(index, loaded, (o) => o % 10 === 0);
      // hnswlib's own save of the reloaded graph compacts to the very same bytes.
      expect(Buffer.from(loaded.serialize()).equals(Buffer.from(blob))).toBe(true);
    }
    expect(scratchFiles().length).toBe(before);
  });

  it.each(METRICS)('%s: the blob holds the graph only, not the vectors', (metric) => {
    const { blob } = built.get(metric)!;
    const vectorBytes = N * DIM * 4;
    console.log(
      `${metric}: ${blob.byteLength} bytes for ${N}×${DIM} (${((100 * blob.byteLength) / vectorBytes).toFixed(1)}% of the vectors)`,
    );
    expect(blob.byteLength).toBeLessThan(0.4 * vectorBytes);
    expect(new DataView(blob.buffer, blob.byteOffset).getUint32(0, true)).toBe(RVHN_MAGIC);
  });

  it('a loaded index stays fully usable: add, grow, delete, re-serialize', () => {
    const { blob } = built.get('l2')!;
    const store = copyStore(built.get('l2')!.index.store);
    const loaded = deserializeHnsw(blob, store, { efSearch: 200 });
    expect(loaded.efSearch).toBe(200);
    const extra = clusteredVectors(3000, DIM, 30, mulberry32(33), 0.3);
    loaded.addBatch(
      Uint32Array.from({ length: 3000 }, (_, i) => N + i),
      extra,
    );
    expect(loaded.count).toBe(2 * N);
    expect(loaded.capacity).toBeGreaterThanOrEqual(2 * N);
    expect(loaded.search(row(extra, 7, DIM), 1)[0]).toEqual({ ordinal: N + 7, distance: 0 });
    loaded.markDeleted(N + 7);
    expect(loaded.search(row(extra, 7, DIM), 1)[0]!.ordinal).not.toBe(N + 7);
    loaded.add(5, row(data, 5, DIM)); // undelete a previously deleted ordinal
    expect(loaded.isDeleted(5)).toBe(false);
    const again = deserializeHnsw(loaded.serialize(), store);
    sameAnswers(loaded, again);
    expect(again.isDeleted(N + 7)).toBe(true);
  });

  it('an empty index round-trips', () => {
    const store = new VectorStore(8);
    const empty = createHnsw(8, 'cosine', { store, m: 12 });
    const loaded = deserializeHnsw(empty.serialize(), store);
    expect(loaded.count).toBe(0);
    expect(loaded.m).toBe(12);
    expect(loaded.search(new Float32Array(8), 5)).toEqual([]);
    loaded.add(0, Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    expect(loaded.search(Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0), 1)).toEqual([{ ordinal: 0, distance: 0 }]);
  });

  it.each(METRICS)('%s: changed vectors make deserialize throw (stale index)', (metric) => {
    const { index, blob } = built.get(metric)!;
    const before = scratchFiles().length;
    for (const [ordinal, component] of [
      [0, 0],
      [1234, 77],
      [N - 1, DIM - 1],
    ] as const) {
      const store = copyStore(index.store);
      const at = ordinal * DIM + component;
      store.flat[at] = store.flat[at]! + 1e-3;
      expectRvfError(() => deserializeHnsw(blob, store), ErrorCode.ContentHashMismatch);
    }
    // Fewer vectors than the graph refers to.
    expectRvfError(() =>
      deserializeHnsw(blob, VectorStore.wrap(index.store.used().slice(0, 100 * DIM), DIM)),
    );
    // A store of another dimension.
    expectRvfError(() => deserializeHnsw(blob, new VectorStore(DIM + 1)), ErrorCode.DimensionMismatch);
    expect(scratchFiles().length).toBe(before);
  });

  it('truncated blobs throw RvfError', () => {
    const { index, blob } = built.get('l2')!;
    const cuts = [
      0,
      1,
      4,
      8,
      63,
      64,
      65,
      100,
      1000,
      blob.byteLength >> 1,
      blob.byteLength - 4,
      blob.byteLength - 1,
    ];
    const rng = mulberry32(8);
    for (let i = 0; i < 40; i++) cuts.push(Math.floor(rng() * blob.byteLength));
    for (const cut of cuts) expectRvfError(() => deserializeHnsw(blob.subarray(0, cut), index.store));
    // Extra bytes are no better than missing ones.
    const longer = new Uint8Array(blob.byteLength + 4);
    longer.set(blob);
    expectRvfError(() => deserializeHnsw(longer, index.store));
  });

  it('damaged headers throw the matching RvfError', () => {
    const { index, blob } = built.get('inner_product')!;
    const damaged = (at: number, value: number, width: 1 | 2 | 4 = 4) => {
      const b = blob.slice();
      const dv = new DataView(b.buffer);
      if (width === 1) dv.setUint8(at, value);
      else if (width === 2) dv.setUint16(at, value, true);
      else dv.setUint32(at, value, true);
      return b;
    };
    expectRvfError(() => deserializeHnsw(damaged(0, 0x46464952), index.store), ErrorCode.InvalidMagic);
    expectRvfError(() => deserializeHnsw(damaged(4, 2, 2), index.store), ErrorCode.InvalidVersion);
    expectRvfError(() => deserializeHnsw(damaged(6, 9, 1), index.store), ErrorCode.MetricUnsupported);
    expectRvfError(() => deserializeHnsw(damaged(8, 64), index.store), ErrorCode.DimensionMismatch);
    expectRvfError(() => deserializeHnsw(damaged(12, N + 1), index.store));
    expectRvfError(() => deserializeHnsw(damaged(12, 0xffffffff), index.store));
    expectRvfError(() => deserializeHnsw(damaged(20, 1), index.store));
    expectRvfError(() => deserializeHnsw(damaged(20, 17), index.store));
    expectRvfError(() => deserializeHnsw(damaged(32, 200), index.store));
    expectRvfError(() => deserializeHnsw(damaged(36, N), index.store));
    expectRvfError(() => deserializeHnsw(damaged(48, 12345), index.store), ErrorCode.ContentHashMismatch);
    expectRvfError(() => deserializeHnsw(damaged(56, 7), index.store));
    // Header fields that would still describe a well-formed graph are bound by the digest.
    expectRvfError(() => deserializeHnsw(damaged(6, 0, 1), index.store), ErrorCode.ContentHashMismatch);
    expectRvfError(() => deserializeHnsw(damaged(24, 100), index.store), ErrorCode.ContentHashMismatch);
    // efSearch and capacity are tuning, not shape: changing them loads fine.
    const tuned = deserializeHnsw(damaged(28, 33), index.store);
    expect(tuned.efSearch).toBe(33);
    expect(tuned.search(row(queries, 0, DIM), 5)).toHaveLength(5);
  });

  it('an unusable TMPDIR surfaces as RvfError, not a raw fs error', () => {
    const { index, blob } = built.get('l2')!;
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/rvfjs-test-dir';
    try {
      expectRvfError(() => index.serialize(), ErrorCode.IoFailed);
      expectRvfError(() => deserializeHnsw(blob, index.store), ErrorCode.IoFailed);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it('random corruption never escapes as a raw error or a crash', () => {
    // A small index keeps each attempt cheap; every mutation must be refused with an RvfError or
    // load into a graph that still answers queries with valid ordinals.
    const dim = 8;
    const n = 400;
    const small = clusteredVectors(n, dim, 8, mulberry32(40), 0.3);
    const store = new VectorStore(dim);
    const index = createHnsw(dim, 'l2', { store, m: 6, efConstruction: 32 });
    index.addBatch(
      Uint32Array.from({ length: n }, (_, i) => i),
      small,
    );
    index.markDeleted(3);
    const blob = index.serialize();
    const rng = mulberry32(41);
    let refused = 0;
    let loaded = 0;
    const before = scratchFiles().length;
    for (let trial = 0; trial < 600; trial++) {
      const b = blob.slice();
      const words = new Uint32Array(b.buffer);
      const kind = trial % 3;
      const at = Math.floor(rng() * b.byteLength);
      if (kind === 0) b[at] = b[at]! ^ (1 + Math.floor(rng() * 255));
      else if (kind === 1) words[at >> 2] = Math.floor(rng() * 2 ** 32);
      else words[at >> 2] = [0, 0xffffffff, n, n - 1, 0xffff, 0x10000][Math.floor(rng() * 6)]!;
      try {
        const idx = deserializeHnsw(b, store);
        loaded++;
        for (let q = 0; q < 3; q++) {
          const res = idx.search(row(small, q * 50, dim), 5, { filter: (o) => o !== 1 });
          for (const r of res) expect(r.ordinal).toBeLessThan(n);
        }
      } catch (err) {
        if (!(err instanceof RvfError)) throw err;
        refused++;
      }
    }
    console.log(`corruption fuzz: ${refused} refused, ${loaded} loaded (mutation landed somewhere harmless)`);
    expect(refused).toBeGreaterThan(300);
    expect(scratchFiles().length).toBe(before);
  });
});
