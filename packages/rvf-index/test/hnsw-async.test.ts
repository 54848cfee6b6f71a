/**
 * deserializeHnswAsync loads a saved graph without holding the event loop: the hnswlib file
 * is written chunk by chunk with async writes (awaiting the host's yieldTo() before each)
 * and read by hnswlib's async readIndex. It must be the same load as deserializeHnsw, only
 * spread over time: the same graph (same answers, same bytes when saved again), the same
 * refusals (a stale graph, damaged bytes, always as RvfError), and no scratch files left.
 * The sync loader is the independent answer throughout.
 */

import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Metric } from '@rvfjs/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS, mulberry32, randomVectors, row } from './helpers.js';
import {
  createHnsw,
  deserializeHnsw,
  deserializeHnswAsync,
  ErrorCode,
  type HnswIndex,
  RvfError,
  VectorStore,
} from './imports.js';
import { nativeMissing } from './native-required.js';

const N = 3000;
const DIM = 128;
const M = 16;
const QUERIES = 60;
const data = randomVectors(N, DIM, mulberry32(71));
const queries = randomVectors(QUERIES, DIM, mulberry32(72));
const DELETED = [0, 7, 1234, N - 1];

/**
 * The hnswlib file's level-0 block, per hnswalg.h's layout (hnsw-file.ts): per element a u32
 * list header, 2·M links, the vector and a u64 label. At 3000 × 128 it is ~1.9 MiB, so the
 * async loader writes it in more than one 1 MiB chunk.
 */
const LEVEL0_BYTES = N * 4 * (1 + 2 * M + DIM + 2);

const copyStore = (store: VectorStore) => VectorStore.wrap(store.used().slice(), store.dimension);
const scratchFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`rvfjs-hnsw-${process.pid}-`));

/** The promise must reject with an RvfError (of `code`, if given): a TypeError or RangeError fails. */
async function expectRejectsRvf(p: Promise<unknown>, code?: number): Promise<RvfError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RvfError)) {
    throw new Error(`expected an RvfError, got ${err === undefined ? 'success' : String(err)}`);
  }
  if (code !== undefined) expect(err.code).toBe(code);
  return err;
}

/** Both indexes answer every query the same, unfiltered and filtered, at two beam widths. */
function expectSameAnswers(want: HnswIndex, got: HnswIndex): void {
  const filter = (o: number) => o % 3 !== 0;
  for (let q = 0; q < QUERIES; q++) {
    const query = row(queries, q, DIM);
    expect(got.search(query, 10)).toEqual(want.search(query, 10));
    expect(got.search(query, 25, { ef: 40 })).toEqual(want.search(query, 25, { ef: 40 }));
    expect(got.search(query, 10, { filter })).toEqual(want.search(query, 10, { filter }));
  }
}

describe.skipIf(nativeMissing())('deserializeHnswAsync', () => {
  const built = new Map<Metric, { index: HnswIndex; blob: Uint8Array }>();
  beforeAll(() => {
    for (const metric of METRICS) {
      const store = new VectorStore(DIM);
      const index = createHnsw(DIM, metric, { store, m: M, efConstruction: 100, efSearch: 64 });
      index.addBatch(
        Uint32Array.from({ length: N }, (_, i) => i),
        data,
      );
      for (const o of DELETED) index.markDeleted(o);
      built.set(metric, { index, blob: index.serialize() });
    }
  }, 60_000);

  it.each(METRICS)(
    '%s: the async load is the sync load (same answers, same bytes saved again)',
    async (metric) => {
      const { index, blob } = built.get(metric)!;
      const before = scratchFiles().length;
      const sync = deserializeHnsw(blob, copyStore(index.store));
      const loaded = await deserializeHnswAsync(blob, copyStore(index.store));
      expect(loaded.metric).toBe(metric);
      expect(loaded.count).toBe(N);
      expect(loaded.liveCount).toBe(N - DELETED.length);
      expect(loaded.efSearch).toBe(64);
      for (const o of DELETED) expect(loaded.isDeleted(o)).toBe(true);
      expect(loaded.isDeleted(1)).toBe(false);
      expectSameAnswers(sync, loaded);
      // And both answer as the graph that was saved.
      expectSameAnswers(index, loaded);
      // hnswlib's own save of the async-loaded graph compacts to the very same bytes.
      expect(Buffer.from(loaded.serialize()).equals(Buffer.from(blob))).toBe(true);
      expect(scratchFiles().length).toBe(before);
    },
  );

  it('efSearch overrides the saved one; the loaded index keeps working (add, delete)', async () => {
    const { index, blob } = built.get('l2')!;
    const store = copyStore(index.store);
    const loaded = await deserializeHnswAsync(blob, store, { efSearch: 33 });
    expect(loaded.efSearch).toBe(33);
    const extra = randomVectors(10, DIM, mulberry32(73));
    loaded.addBatch(
      Uint32Array.from({ length: 10 }, (_, i) => N + i),
      extra,
    );
    expect(loaded.search(row(extra, 4, DIM), 1)[0]).toEqual({ ordinal: N + 4, distance: 0 });
    loaded.markDeleted(N + 4);
    expect(loaded.search(row(extra, 4, DIM), 1)[0]!.ordinal).not.toBe(N + 4);
  });

  it('awaits yieldTo() before each chunk: more than once per MiB of hnswlib file, and never runs ahead of it', async () => {
    const { index, blob } = built.get('l2')!;
    let calls = 0;
    const loaded = await deserializeHnswAsync(blob, index.store, {
      yieldTo: async () => {
        calls++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
    });
    expect(loaded.count).toBe(N);
    // At least one pause per 1 MiB chunk of the level-0 block, plus one before starting.
    expect(LEVEL0_BYTES).toBeGreaterThan(2 ** 20);
    expect(calls).toBeGreaterThan(Math.ceil(LEVEL0_BYTES / 2 ** 20));

    // A host that holds the load back (a write in progress) really holds it: with a gate
    // that opens only when told, the load does not finish, however long we wait.
    let open = false;
    let waiting: (() => void)[] = [];
    let gated = 0;
    const gate = () => {
      gated++;
      if (open) return Promise.resolve();
      return new Promise<void>((resolve) => waiting.push(resolve));
    };
    let done = false;
    const p = deserializeHnswAsync(blob, index.store, { yieldTo: gate }).then((g) => {
      done = true;
      return g;
    });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    for (let i = 0; i < 3; i++) {
      await sleep(20);
      expect(done).toBe(false);
      expect(waiting).toHaveLength(1);
      // Let one step through at a time: the load advances to its next pause and stops there.
      const before = gated;
      const release = waiting;
      waiting = [];
      for (const r of release) r();
      for (let t = 0; t < 500 && gated === before; t++) await sleep(2);
      await sleep(20);
      expect(gated).toBe(before + 1);
    }
    open = true;
    for (const r of waiting) r();
    const g = await p;
    expect(g.count).toBe(N);
    expect(done).toBe(true);
  });

  it('with the default yieldTo the event loop keeps turning during the load', async () => {
    const { index, blob } = built.get('cosine')!;
    let ranFirst = false;
    setImmediate(() => {
      ranFirst = true;
    });
    // A ticker on setImmediate: each tick is a turn of the event loop the load let through.
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const p = deserializeHnswAsync(blob, index.store);
    let ranBeforeResolve: boolean | undefined;
    const loaded = await p.then((g) => {
      ranBeforeResolve = ranFirst;
      return g;
    });
    ticking = false;
    // The setImmediate scheduled before the call ran before the promise resolved…
    expect(ranBeforeResolve).toBe(true);
    // …and so did a turn per chunk at least: the load never held the loop for all of its work.
    expect(ticks).toBeGreaterThan(Math.ceil(LEVEL0_BYTES / 2 ** 20));
    expect(loaded.count).toBe(N);
  });

  it.each(METRICS)(
    '%s: a stale graph (one vector changed in the store) rejects with ContentHashMismatch',
    async (metric) => {
      const { index, blob } = built.get(metric)!;
      const before = scratchFiles().length;
      // First vector, one in the second chunk, the last one: wherever it is, the digest sees it.
      for (const [ordinal, component] of [
        [0, 0],
        [2500, 64],
        [N - 1, DIM - 1],
      ] as const) {
        const store = copyStore(index.store);
        const at = ordinal * DIM + component;
        store.flat[at] = store.flat[at]! + 1e-3;
        // The sync loader agrees that this store is stale.
        expect(() => deserializeHnsw(blob, store)).toThrow(RvfError);
        await expectRejectsRvf(deserializeHnswAsync(blob, store), ErrorCode.ContentHashMismatch);
      }
      // Fewer vectors than the graph refers to, and a store of another dimension.
      await expectRejectsRvf(
        deserializeHnswAsync(blob, VectorStore.wrap(index.store.used().slice(0, 100 * DIM), DIM)),
      );
      await expectRejectsRvf(
        deserializeHnswAsync(blob, new VectorStore(DIM + 1)),
        ErrorCode.DimensionMismatch,
      );
      expect(scratchFiles().length).toBe(before);
    },
  );

  it('damaged blobs reject with the same RvfError the sync loader throws', async () => {
    const { index, blob } = built.get('inner_product')!;
    const before = scratchFiles().length;
    const cuts = [0, 1, 63, 64, 65, 1000, blob.byteLength >> 1, blob.byteLength - 4, blob.byteLength - 1];
    const damaged: Uint8Array[] = cuts.map((c) => blob.slice(0, c));
    const longer = new Uint8Array(blob.byteLength + 4);
    longer.set(blob);
    damaged.push(longer);
    for (const [at, value] of [
      [0, 0x46464952], // magic
      [8, 64], // dimension
      [12, N + 1], // count
      [20, 1], // M
      [32, 200], // max level
      [36, N], // entry point
      [48, 12345], // digest
      [56, 7], // body words
    ] as const) {
      const b = blob.slice();
      new DataView(b.buffer).setUint32(at, value, true);
      damaged.push(b);
    }
    for (const b of damaged) {
      let syncCode: number | undefined;
      try {
        deserializeHnsw(b, index.store);
      } catch (e) {
        syncCode = (e as RvfError).code;
      }
      expect(syncCode).toBeDefined();
      await expectRejectsRvf(deserializeHnswAsync(b, index.store), syncCode);
    }
    // Not bytes at all.
    await expectRejectsRvf(deserializeHnswAsync('RVHN' as unknown as Uint8Array, index.store));
    expect(scratchFiles().length).toBe(before);
  });

  it('random corruption: async refuses exactly what sync refuses, and loads the rest into the same graph', async () => {
    // A small index keeps each attempt cheap. Whatever the mutation, both loaders must agree:
    // the same RvfError code, or two graphs with the same answers.
    const dim = 8;
    const n = 400;
    const small = randomVectors(n, dim, mulberry32(80));
    const store = new VectorStore(dim);
    const index = createHnsw(dim, 'l2', { store, m: 6, efConstruction: 32 });
    index.addBatch(
      Uint32Array.from({ length: n }, (_, i) => i),
      small,
    );
    index.markDeleted(3);
    const blob = index.serialize();
    const rng = mulberry32(81);
    const before = scratchFiles().length;
    let refused = 0;
    for (let trial = 0; trial < 150; trial++) {
      const b = blob.slice();
      const words = new Uint32Array(b.buffer);
      const at = Math.floor(rng() * b.byteLength);
      if (trial % 2 === 0) b[at] = b[at]! ^ (1 + Math.floor(rng() * 255));
      else words[at >> 2] = [0, 0xffffffff, n, n - 1, 0xffff, 0x10000][Math.floor(rng() * 6)]!;
      let sync: HnswIndex | RvfError;
      try {
        sync = deserializeHnsw(b, store);
      } catch (e) {
        if (!(e instanceof RvfError)) throw e;
        sync = e;
      }
      if (sync instanceof RvfError) {
        refused++;
        await expectRejectsRvf(deserializeHnswAsync(b, store), sync.code);
        continue;
      }
      const loaded = await deserializeHnswAsync(b, store);
      for (let q = 0; q < 5; q++) {
        const query = row(small, q * 70, dim);
        expect(loaded.search(query, 5)).toEqual(sync.search(query, 5));
      }
    }
    expect(refused).toBeGreaterThan(50);
    expect(scratchFiles().length).toBe(before);
  });

  it('no scratch file is left when yieldTo itself fails mid-load, or when TMPDIR is unusable', async () => {
    const { index, blob } = built.get('l2')!;
    const before = scratchFiles().length;
    let calls = 0;
    const hostError = new Error('host gave up');
    const failing = async () => {
      calls++;
      // Fail after the scratch file exists (the first pause comes before it is created).
      if (calls === 3) throw hostError;
      await new Promise<void>((resolve) => setImmediate(resolve));
    };
    const err = await deserializeHnswAsync(blob, index.store, { yieldTo: failing }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The load stops there, and the host's own error is not lost (itself, or as the cause).
    expect(err).toBeInstanceOf(Error);
    expect(err === hostError || (err as Error).cause === hostError).toBe(true);
    expect(calls).toBe(3);
    expect(scratchFiles().length).toBe(before);

    const saved = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/rvfjs-test-dir';
    try {
      await expectRejectsRvf(deserializeHnswAsync(blob, index.store), ErrorCode.IoFailed);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(scratchFiles().length).toBe(before);
  });

  it('concurrent loads of one blob use separate scratch files and all give the sync graph', async () => {
    const { index, blob } = built.get('l2')!;
    const before = scratchFiles().length;
    const sync = deserializeHnsw(blob, index.store);
    const loads = await Promise.all([0, 1, 2].map(() => deserializeHnswAsync(blob, copyStore(index.store))));
    for (const g of loads) {
      for (let q = 0; q < 10; q++) {
        const query = row(queries, q, DIM);
        expect(g.search(query, 10)).toEqual(sync.search(query, 10));
      }
    }
    expect(scratchFiles().length).toBe(before);
  });

  it('an empty graph loads asynchronously too', async () => {
    const store = new VectorStore(8);
    const empty = createHnsw(8, 'cosine', { store, m: 12 });
    const loaded = await deserializeHnswAsync(empty.serialize(), store);
    expect(loaded.count).toBe(0);
    expect(loaded.m).toBe(12);
    expect(loaded.search(new Float32Array(8), 5)).toEqual([]);
  });
});
