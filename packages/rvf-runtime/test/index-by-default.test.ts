import { execFileSync } from 'node:child_process';
import { copyFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { bruteForce, clustered as clusteredAround, tempDir } from './helpers.js';

// The graph is persisted by default: what create + ingest + close leaves behind, and what a
// fresh process makes of it without any idle time.

const work = tempDir('rvfjs-default-index-');
afterAll(() => work.cleanup());

const DIM = 24;
const N = 4000;
const DIST = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

const clustered = (n: number, dim: number, seed: number) => clusteredAround(n, dim, seed, 40);

const vecs = clustered(N, DIM, 11);
const ids = [...Array(N).keys()];
const queries = clustered(30, DIM, 12);

/** create → ingestBatch in 4 batches → close, nothing else (as a batch script does). */
async function buildPlain(
  path: string,
  opts: { deferIndex?: boolean; onIndexProgress?: (d: number, t: number) => void } = {},
) {
  const s = await RvfStore.create(path, { dimension: DIM, metric: 'l2', ...opts });
  const per = N / 4;
  for (let b = 0; b < 4; b++) {
    const batch = ids.slice(b * per, (b + 1) * per);
    await s.ingestBatch(
      vecs.subarray(b * per * DIM, (b + 1) * per * DIM),
      batch,
      batch.map((i) => ({ cat: i % 10 })),
    );
  }
  await s.close();
}

function graphSegments(s: RvfStore) {
  return s.segments().filter((x) => x.segType === 'rvfjs_hnsw_graph');
}

function recallAt10(got: { id: unknown }[], q: Float32Array, keep?: (id: number) => boolean): number {
  const want = bruteForce(vecs, ids, DIM, 'l2', q, 10, keep);
  const w = new Set(want.map((x) => x.id));
  return got.filter((g) => w.has(Number(g.id))).length / want.length;
}

/** Runs `body` in a fresh Node process with the store module as `RvfStore`; returns its JSON. */
// biome-ignore lint/suspicious/noExplicitAny: whatever JSON the child printed
function inFreshProcess(body: string, env: Record<string, string> = {}): any {
  const script = `import { RvfStore } from ${JSON.stringify(DIST)};\n${body}`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('the graph is there by default', () => {
  const plain = join(work.dir, 'plain.rvf');
  const progress: [number, number][] = [];

  it('create + ingest + close leaves a complete saved graph, reporting progress while it builds', async () => {
    await buildPlain(plain, { onIndexProgress: (d, t) => progress.push([d, t]) });
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1)!;
    expect(last[0]).toBe(last[1]);
    expect(last[1]).toBe(N);
    const r = await RvfStore.open(plain, { readOnly: true });
    expect(graphSegments(r)).toHaveLength(1);
    await r.waitForIndex();
    expect(r.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect(r.status().engine.rebuildReason).toBeUndefined();
    await r.close();
  });

  it('writes that land while the worker is still being sent the store are sent to it once, not twice', async () => {
    // A large first batch starts the build; the small ones queued behind it commit while the
    // worker is still being sent the table, a few thousand vectors per turn of the event
    // loop. hnswlib takes a second insert of a label as an update that re-links it, so every
    // vector sent twice costs its insert again (a tenth of a 100k build, before).
    const path = join(work.dir, 'racing-sends.rvf');
    const dim = 64;
    const first = 30000;
    const small = 50;
    const n = first + small * 20;
    const data = clustered(n, dim, 21);
    const sent: number[] = [];
    const s = await RvfStore.create(path, {
      dimension: dim,
      indexThreshold: 1000,
      // Close leaves the graph to a later writer: the test is about what the worker is sent.
      deferIndex: true,
      onIndexProgress: (_d, t) => sent.push(t),
    });
    const rows = (from: number, to: number) =>
      [data.subarray(from * dim, to * dim), Array.from({ length: to - from }, (_, i) => from + i)] as const;
    const writes = [s.ingestBatch(...rows(0, first))];
    for (let from = first; from < n; from += small) writes.push(s.ingestBatch(...rows(from, from + small)));
    await Promise.all(writes);
    // The worker reports after each batch it inserts, with how many it has been sent so far.
    const reports = sent.length;
    for (let waited = 0; sent.length === reports && waited < 20000; waited += 10) await sleep(10);
    await s.close();
    expect(sent.length).toBeGreaterThan(reports);
    expect(Math.max(...sent)).toBe(n);
  });

  it('a fresh read-only process answering back to back switches to the saved graph within a bounded number of queries', () => {
    const out = inFreshProcess(`
      const s = await RvfStore.open(${JSON.stringify(plain)}, { readOnly: true });
      const q = new Float32Array(${JSON.stringify(Array.from(queries.subarray(0, DIM)))});
      let n = 0;
      const engines = [];
      // No idle time: each query is awaited and the next one issued at once.
      for (; n < 100000; n++) {
        await s.query(q, 10);
        const e = s.status().engine.lastQueryEngine;
        engines.push(e);
        if (e === 'hnsw-wasm') break;
      }
      const hits = await s.query(q, 10);
      console.log(JSON.stringify({ n, status: s.status().engine, hits }));
      await s.close();`);
    // A reader walks the saved graph in WebAssembly once it is read and laid out.
    expect(out.status.lastQueryEngine, JSON.stringify(out.status)).toBe('hnsw-wasm');
    expect(out.status.rebuildReason).toBeUndefined();
    // Preparing a 4k graph takes milliseconds; an exact query here takes about 20 µs (and
    // spends as much on the preparation), so the bound is generous, but finite: before,
    // the load waited for idle time and never came while queries kept arriving.
    expect(out.n).toBeLessThan(100000);
    expect(recallAt10(out.hits, queries.subarray(0, DIM))).toBeGreaterThanOrEqual(0.9);
  });

  it('a reader that walks its saved graph in WebAssembly never loads the native add-on', () => {
    const out = inFreshProcess(`
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('hnswlib-node'));
      const s = await RvfStore.open(${JSON.stringify(plain)}, { readOnly: true });
      const q = new Float32Array(${JSON.stringify(Array.from(queries.subarray(0, DIM)))});
      await s.waitForIndex();
      const hits = await s.query(q, 10);
      const before = loaded();
      // status() reports whether the add-on could be used, which loads it: asked last.
      console.log(JSON.stringify({ before, status: s.status().engine, after: loaded(), hits }));
      await s.close();`);
    expect(out.before).toEqual([]);
    expect(out.status).toMatchObject({ lastQueryEngine: 'hnsw-wasm', nativeAvailable: true, simd: true });
    // The check is real: where the add-on is loaded, the cache shows it.
    expect(out.after.length).toBeGreaterThan(0);
    expect(recallAt10(out.hits, queries.subarray(0, DIM))).toBeGreaterThanOrEqual(0.9);
  });

  it("a read-only branch child walks its parent's saved graph in WebAssembly, its own edits answered exactly", async () => {
    // The child rewrites, deletes and adds vectors where three queries will look for them.
    const parentPath = join(work.dir, 'walked-parent.rvf');
    const childPath = join(work.dir, 'walked-child.rvf');
    copyFileSync(plain, parentPath);
    const q = (i: number) => queries.subarray(i * DIM, (i + 1) * DIM);
    const near = (i: number, j: number) => q(i).map((x, d) => x + (d === 0 ? 1e-3 * (j + 1) : 0));
    const deleted = bruteForce(vecs, ids, DIM, 'l2', q(0), 5).map((h) => Number(h.id));
    const rewritten = [100, 101, 102, 103, 104];
    const added = [9000, 9001, 9002, 9003, 9004];
    const parent = await RvfStore.open(parentPath);
    const child = await parent.branch(childPath);
    await child.ingestBatch(Float32Array.from(rewritten.flatMap((_, j) => [...near(1, j)])), rewritten);
    await child.ingestBatch(Float32Array.from(added.flatMap((_, j) => [...near(2, j)])), added);
    await child.delete(deleted);
    await child.close();
    await parent.close();

    const qs = JSON.stringify([0, 1, 2].map((i) => Array.from(q(i))));
    // Queries back to back, no idle time, until the walk answers.
    const bounded = inFreshProcess(`
      const qs = ${qs}.map((v) => new Float32Array(v));
      const s = await RvfStore.open(${JSON.stringify(childPath)}, { readOnly: true });
      let n = 0;
      for (; n < 100000; n++) {
        await s.query(qs[0], 10);
        if (s.status().engine.lastQueryEngine === 'hnsw-wasm') break;
      }
      console.log(JSON.stringify({ n }));
      await s.close();`);
    expect(bounded.n).toBeLessThan(100000);
    // A reader asked nothing that would load the add-on until the end (status() does).
    const out = inFreshProcess(`
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('hnswlib-node'));
      const qs = ${qs}.map((v) => new Float32Array(v));
      const r = await RvfStore.open(${JSON.stringify(childPath)}, { readOnly: true });
      await r.waitForIndex();
      const hits = [];
      for (const v of qs) hits.push(await r.query(v, 10));
      const native = loaded();
      const engines = [];
      for (const v of qs) {
        await r.query(v, 10);
        engines.push(r.status().engine.lastQueryEngine);
      }
      console.log(JSON.stringify({ engines, hits, native, status: r.status().engine }));
      await r.close();`);
    expect(out.engines, JSON.stringify(out.status)).toEqual(['hnsw-wasm', 'hnsw-wasm', 'hnsw-wasm']);
    expect(out.status.rebuildReason).toBeUndefined();
    expect(out.native).toEqual([]);
    const idsOf = (hits: { id: unknown }[]) => hits.map((h) => Number(h.id));
    // Deleted members never come back; rewritten and added ones are found at their new places.
    for (const hits of out.hits) for (const id of deleted) expect(idsOf(hits)).not.toContain(id);
    expect(idsOf(out.hits[1]).slice(0, 5)).toEqual(rewritten);
    expect(idsOf(out.hits[2]).slice(0, 5)).toEqual(added);
    expect(recallAt10(out.hits[0], q(0), (id) => !deleted.includes(id))).toBeGreaterThanOrEqual(0.9);
  });

  it('without worker threads the graph is built on the event loop, saved at close and used', async () => {
    const p = join(work.dir, 'no-workers.rvf');
    const out = inFreshProcess(
      `
      const s = await RvfStore.create(${JSON.stringify(p)}, { dimension: ${DIM} });
      const v = new Float32Array(1500 * ${DIM}).map((_, i) => Math.sin(i * 0.37) * 5 + (i % 7));
      await s.ingestBatch(v, Array.from({ length: 1500 }, (_, i) => i));
      await s.close();
      const r = await RvfStore.open(${JSON.stringify(p)}, { readOnly: true });
      await r.waitForIndex();
      const hits = await r.query(v.subarray(0, ${DIM}), 10);
      console.log(JSON.stringify({ status: r.status().engine, graphs: r.segments().filter((x) => x.segType === 'rvfjs_hnsw_graph').length, hits }));
      await r.close();`,
      { RVF_DISABLE_WORKERS: '1' },
    );
    expect(out.graphs).toBe(1);
    // The reader walks the saved graph in WebAssembly (no worker is needed to read it).
    expect(out.status).toMatchObject({
      index: 'complete',
      indexedVectors: 1500,
      lastQueryEngine: 'hnsw-wasm',
    });
    expect(out.status.rebuildReason).toBeUndefined();
    expect(out.hits[0]).toMatchObject({ id: 0, distance: 0 });
  });
});

describe("a child branched while its parent's graph is still being built", () => {
  /** A parent mid-build: everything ingested, its graph on the worker, nothing saved yet. */
  async function buildingParent(path: string): Promise<RvfStore> {
    const p = await RvfStore.create(path, { dimension: DIM, metric: 'l2' });
    await p.ingestBatch(vecs, ids);
    expect(p.status().engine.index).toBe('building');
    return p;
  }
  const mine = clustered(5, DIM, 91);
  const mineIds = [0, 1, 2, N + 1, N + 2];

  async function expectSelfHits(s: RvfStore): Promise<void> {
    for (const [i, id] of mineIds.entries()) {
      const [hit] = await s.query(mine.subarray(i * DIM, (i + 1) * DIM), 1);
      expect(hit).toMatchObject({ id, distance: 0 });
    }
  }

  it('closes without building a graph of its own, then walks the graph its parent saved after the branch', async () => {
    const parent = await buildingParent(join(work.dir, 'mid-build-parent.rvf'));
    const childPath = join(work.dir, 'mid-build-child.rvf');
    const child = await parent.branch(childPath);
    await child.ingestBatch(mine, mineIds);
    await child.close(); // no graph to inherit, and few vectors of its own: none saved
    await parent.close(); // saves the parent's graph, after the child's pin
    const again = await RvfStore.open(childPath, { readOnly: true });
    expect(again.segments().some((x) => x.segType === 'rvfjs_hnsw_graph')).toBe(false);
    await again.waitForIndex();
    expect(again.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect(again.status().engine.rebuildReason).toBeUndefined();
    await expectSelfHits(again);
    expect(again.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    // Its answers over the inherited vectors are the parent's graph's: recall against brute force.
    const view = new Map<number, Float32Array>();
    for (let i = 0; i < N; i++) view.set(i, vecs.subarray(i * DIM, (i + 1) * DIM));
    mineIds.forEach((id, i) => {
      view.set(id, mine.subarray(i * DIM, (i + 1) * DIM));
    });
    const flat = new Float32Array(view.size * DIM);
    const viewIds = [...view.keys()];
    viewIds.forEach((id, i) => {
      flat.set(view.get(id)!, i * DIM);
    });
    let found = 0;
    for (let q = 0; q < 30; q++) {
      const query = queries.subarray(q * DIM, (q + 1) * DIM);
      const want = new Set(bruteForce(flat, viewIds, DIM, 'l2', query, 10).map((h) => Number(h.id)));
      for (const h of await again.query(query, 10)) if (want.has(Number(h.id))) found++;
    }
    expect(found / 300).toBeGreaterThan(0.9);
    await again.close();
  });

  it('a parent graph saved after the parent changed vectors fails its check: the child builds and saves its own', async () => {
    const parent = await buildingParent(join(work.dir, 'mid-build-parent2.rvf'));
    const childPath = join(work.dir, 'mid-build-child2.rvf');
    const child = await parent.branch(childPath);
    await child.ingestBatch(mine, mineIds);
    await child.close();
    // The parent rewrites inherited vectors before its graph is saved: that graph is not the
    // child's (its digest covers other vectors).
    await parent.ingestBatch(clustered(10, DIM, 92), [...Array(10).keys()]);
    await parent.close();
    const again = await RvfStore.open(childPath);
    await again.waitForIndex();
    expect(again.status().engine.rebuildReason).toMatch(/not used/);
    expect(again.status().engine.index).toBe('complete');
    await expectSelfHits(again);
    await again.close(); // offered a parent graph it could not use: saves its own
    const third = await RvfStore.open(childPath, { readOnly: true });
    expect(third.segments().some((x) => x.segType === 'rvfjs_hnsw_graph')).toBe(true);
    await expectSelfHits(third);
    await third.close();
  });
});

describe('several stores building at once', () => {
  it('builds take turns for the cores, and each store still closes with its complete graph', async () => {
    const paths = [0, 1, 2].map((i) => join(work.dir, `turns-${i}.rvf`));
    const stores = await Promise.all(paths.map((p) => RvfStore.create(p, { dimension: DIM })));
    await Promise.all(stores.map((s) => s.ingestBatch(vecs, ids)));
    // Each has a build under way or waiting for its turn; closing finishes each.
    await Promise.all(stores.map((s) => s.close()));
    for (const p of paths) {
      const r = await RvfStore.open(p, { readOnly: true });
      expect(graphSegments(r)).toHaveLength(1);
      await r.waitForIndex();
      expect(r.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
      expect(r.status().engine.rebuildReason).toBeUndefined();
      await r.close();
    }
  });
});

describe('deferIndex: the opt-out for write-heavy users', () => {
  it('close saves no graph, queries are exact, and a later writer builds and saves it', async () => {
    const p = join(work.dir, 'deferred.rvf');
    await buildPlain(p, { deferIndex: true });
    const r = await RvfStore.open(p, { readOnly: true });
    expect(graphSegments(r)).toHaveLength(0);
    // Right after open nothing but the exact engine can answer: compare with brute force.
    for (let i = 0; i < 5; i++) {
      const q = queries.subarray(i * DIM, (i + 1) * DIM);
      const got = await r.query(q, 10, { plan: 'exact' });
      const want = bruteForce(vecs, ids, DIM, 'l2', q, 10);
      expect(got.map((g) => Number(g.id))).toEqual(want.map((w) => w.id));
    }
    await r.close();
    // A later writer (default options) finishes the graph at close.
    const w = await RvfStore.open(p);
    await w.close();
    const again = await RvfStore.open(p, { readOnly: true });
    expect(graphSegments(again)).toHaveLength(1);
    await again.waitForIndex();
    expect(again.status().engine.rebuildReason).toBeUndefined();
    expect(again.status().engine.indexedVectors).toBe(N);
    await again.close();
  });
});

describe('incremental saves', () => {
  const base = join(work.dir, 'base.rvf');

  it('a small ingest into an indexed store appends no graph; the next open takes in the tail', async () => {
    await buildPlain(base);
    const p = join(work.dir, 'small-commit.rvf');
    copyFileSync(base, p);
    const s = await RvfStore.open(p);
    const graphsBefore = graphSegments(s).length;
    await s.waitForIndex();
    const extra = clustered(10, DIM, 99);
    const before = statSync(p).size;
    await s.ingestBatch(
      extra,
      [...Array(10).keys()].map((i) => 100_000 + i),
    );
    const afterIngest = statSync(p).size;
    await s.close();
    // Closing wrote nothing: the graph was not rewritten for ten vectors.
    expect(statSync(p).size).toBe(afterIngest);
    expect(afterIngest).toBeGreaterThan(before);
    const r = await RvfStore.open(p, { readOnly: true });
    expect(graphSegments(r)).toHaveLength(graphsBefore);
    // The new vectors are found right away (scanned exactly until the graph takes them in)…
    for (let i = 0; i < 10; i++) {
      const hit = (await r.query(extra.subarray(i * DIM, (i + 1) * DIM), 1))[0]!;
      expect(hit).toMatchObject({ id: 100_000 + i, distance: 0 });
    }
    // …and then, in a reader, through the saved graph walked in WebAssembly plus an exact
    // scan of the tail, which a reader never inserts (it keeps no hnswlib graph)…
    await r.waitForIndex();
    expect(r.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect(r.status().engine.rebuildReason).toBeUndefined();
    const hit = (await r.query(extra.subarray(0, DIM), 1))[0]!;
    expect(r.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    expect(hit).toMatchObject({ id: 100_000, distance: 0 });
    await r.close();
    // …and so does a writer: it loads hnswlib only when its writes need a graph to insert
    // into, so opening, querying and closing again costs no graph work and writes nothing.
    const w = await RvfStore.open(p);
    await w.waitForIndex();
    expect(w.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect((await w.query(extra.subarray(0, DIM), 1))[0]).toMatchObject({ id: 100_000, distance: 0 });
    expect(w.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    await w.close();
    expect(statSync(p).size).toBe(afterIngest);
  });

  it('a writer loads hnswlib once its tail outgrows what close leaves unsaved, and close saves the graph', async () => {
    const p = join(work.dir, 'long-tail.rvf');
    copyFileSync(base, p);
    const s = await RvfStore.open(p);
    await s.waitForIndex();
    const graphsBefore = graphSegments(s).length;
    const extra = clustered(1100, DIM, 97);
    const extraIds = [...Array(1100).keys()].map((i) => 300_000 + i);
    await s.ingestBatch(extra, extraIds);
    await s.waitForIndex();
    expect(s.status().engine).toMatchObject({ index: 'complete', indexedVectors: N + 1100 });
    expect((await s.query(extra.subarray(0, DIM), 1))[0]).toMatchObject({ id: 300_000, distance: 0 });
    expect(s.status().engine.lastQueryEngine).toBe('hnsw');
    await s.close();
    const r = await RvfStore.open(p, { readOnly: true });
    expect(graphSegments(r)).toHaveLength(graphsBefore + 1);
    await r.waitForIndex();
    expect(r.status().engine).toMatchObject({ indexedVectors: N + 1100, lastQueryEngine: null });
    expect((await r.query(extra.subarray(1099 * DIM), 1))[0]).toMatchObject({ id: 301_099, distance: 0 });
    expect(r.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    await r.close();
  });

  it('a writer whose vectors move to another memory loads hnswlib instead of walking in TypeScript', async () => {
    const p = join(work.dir, 'moved.rvf');
    copyFileSync(base, p);
    const s = await RvfStore.open(p);
    await s.waitForIndex();
    const q = queries.subarray(0, DIM);
    await s.query(q, 5);
    expect(s.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    // A branch shares the vectors copy-on-write, and the first of the two to append does so
    // in place: the child here, so the writer's append copies its vectors into a new memory,
    // where the graph laid out in the old one cannot be walked in WebAssembly.
    const child = await s.branch(join(work.dir, 'moved-child.rvf'));
    await child.ingestBatch(Float32Array.from(q), [500_000]);
    await s.ingestBatch(Float32Array.from(q), [400_000]);
    await s.waitForIndex();
    expect((await s.query(q, 1))[0]).toMatchObject({ id: 400_000, distance: 0 });
    expect(s.status().engine).toMatchObject({ lastQueryEngine: 'hnsw', index: 'complete' });
    await child.close();
    await s.close();
  });

  it('closing right after an open and a small ingest writes no graph, even before the saved one has loaded', async () => {
    const p = join(work.dir, 'quick-close.rvf');
    copyFileSync(base, p);
    const s = await RvfStore.open(p);
    const graphsBefore = graphSegments(s).length;
    // No waitForIndex: the saved graph is still on its way in.
    expect(s.status().engine.index).toBe('building');
    const extra = clustered(10, DIM, 98);
    await s.ingestBatch(
      extra,
      [...Array(10).keys()].map((i) => 200_000 + i),
    );
    const afterIngest = statSync(p).size;
    await s.close();
    expect(statSync(p).size).toBe(afterIngest);
    const r = await RvfStore.open(p, { readOnly: true });
    expect(graphSegments(r)).toHaveLength(graphsBefore);
    await r.waitForIndex();
    expect(r.status().engine.rebuildReason).toBeUndefined();
    // The saved graph holds N; the ten are the tail a reader scans beside it.
    expect(r.status().engine.indexedVectors).toBe(N);
    expect((await r.query(extra.subarray(9 * DIM, 10 * DIM), 1))[0]).toMatchObject({
      id: 200_009,
      distance: 0,
    });
    await r.close();
  });

  it('rewriting a vector the saved graph holds makes close save a new graph (the old one would be stale)', async () => {
    const p = join(work.dir, 'rewrite.rvf');
    copyFileSync(base, p);
    const s = await RvfStore.open(p);
    const graphsBefore = graphSegments(s).length;
    const v = new Float32Array(DIM).fill(42);
    await s.ingestBatch(v, [7]);
    await s.close();
    const r = await RvfStore.open(p, { readOnly: true });
    expect(graphSegments(r)).toHaveLength(graphsBefore + 1);
    await r.waitForIndex();
    expect(r.status().engine.rebuildReason).toBeUndefined();
    expect((await r.query(v, 1))[0]).toMatchObject({ id: 7, distance: 0 });
    expect(r.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    await r.close();
  });

  it('queries while a large batch is still being inserted merge the graph with an exact scan of the rest', async () => {
    const p = join(work.dir, 'merge.rvf');
    copyFileSync(base, p);
    const s = await RvfStore.open(p);
    await s.waitForIndex();
    const extra = clustered(3000, DIM, 5);
    const extraIds = [...Array(3000).keys()].map((i) => 50_000 + i);
    await s.ingestBatch(extra, extraIds);
    // Straight after the ingest most of the batch is not in the graph yet.
    expect(s.status().engine.index).toBe('building');
    const all = new Float32Array((N + 3000) * DIM);
    all.set(vecs);
    all.set(extra, N * DIM);
    const allIds = [...ids, ...extraIds];
    let hits = 0;
    const engines = new Set<string | null>();
    for (let i = 0; i < 20; i++) {
      const q = queries.subarray(i * DIM, (i + 1) * DIM);
      const got = await s.query(q, 10);
      engines.add(s.status().engine.lastQueryEngine);
      const want = bruteForce(all, allIds, DIM, 'l2', q, 10);
      const w = new Set(want.map((x) => x.id));
      hits += got.filter((g) => w.has(Number(g.id))).length;
    }
    // The batch outgrew what close may leave unsaved, so hnswlib is loading the saved graph
    // to insert it; meanwhile the saved graph is walked (in TypeScript: the pending vectors
    // are filtered out of it), later hnswlib's graph answers, each merged with an exact scan
    // of what it lacks. Never a scan of the whole store.
    for (const e of engines) expect(['hnsw-js', 'hnsw']).toContain(e);
    expect(hits / 200).toBeGreaterThanOrEqual(0.95);
    await s.waitForIndex();
    await s.query(queries.subarray(0, DIM), 10);
    expect(s.status().engine).toMatchObject({ lastQueryEngine: 'hnsw', indexedVectors: N + 3000 });
    await s.close();
  });
});
