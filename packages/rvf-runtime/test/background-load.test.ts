/**
 * A reopened store takes up its saved HNSW graph in the background, giving way to
 * foreground writes; ordinals written while the graph loads are re-inserted once it is in
 * place (the load may have streamed their old vectors into hnswlib). If that catch-up missed
 * a write, hnswlib would keep walking an old vector: the id would be found where it was, not
 * where it is. So: reopen, write at once or in the middle of the load (re-ingest existing
 * ids with far-away vectors, add new ids, delete some), wait for the index, and ask the
 * graph (plan 'hnsw') for the neighbours of the new and the old positions. With ef covering
 * the whole graph the walk is exhaustive, so any difference from brute force over a plain
 * model is the graph holding a wrong vector, not approximation.
 */
import { copyFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdKey, RvfStore } from '../src/index.js';
import { bruteForce, expectSameResults, randomVectors, rng, tempDir } from './helpers.js';

// These tests are about hnswlib loading a saved graph while writes land. With vectors in
// WebAssembly memory a store walks its saved graph there and loads hnswlib only when writes
// call for it (index-by-default.test.ts covers that); without, it loads at open, which is the
// load these tests race writes against. (Read when the first vector array is allocated.)
process.env.RVF_DISABLE_SIMD = '1';

const work = tempDir('rvfjs-bg-load-');
afterAll(() => work.cleanup());
let fileNo = 0;
const fresh = (name: string) => join(work.dir, `${name}-${fileNo++}.rvf`);

const N = 2000;
const DIM = 16;
/** Far above the default threshold (1024), so the store keeps and saves a graph. */
const vecs = randomVectors(N, DIM, 1);
const basePath = join(work.dir, 'base.rvf');
/** ef ≥ the graph size: hnswlib's beam then reaches every node, so its answer is exact. */
const EXHAUSTIVE = 4 * N;
/** hnswlib's level-0 block for this graph (M 16): the bulk of the scratch file a load writes. */
const LEVEL0_BYTES = N * 4 * (1 + 2 * 16 + DIM + 2);

type Model = Map<IdKey, Float32Array>;
const baseModel = (): Model => {
  const m: Model = new Map();
  for (let i = 0; i < N; i++) m.set(i, vecs.slice(i * DIM, (i + 1) * DIM));
  return m;
};

interface Edits {
  replaced: number[];
  replacedVecs: Float32Array;
  added: number[];
  addedVecs: Float32Array;
  deleted: number[];
}

/**
 * Existing ids moved far away (every component in [4, 6], while the data lies in [-1, 1]),
 * new ids in the same far region, and a few deletions.
 */
function makeEdits(seed: number): Edits {
  const r = rng(seed);
  const far = (n: number) => Float32Array.from({ length: n * DIM }, () => 4 + 2 * r());
  const replaced = [...new Set(Array.from({ length: 30 }, () => Math.floor(r() * N)))];
  const deleted = [...new Set(Array.from({ length: 10 }, () => Math.floor(r() * N)))].filter(
    (id) => !replaced.includes(id),
  );
  const added = Array.from({ length: 20 }, (_, i) => N + 100 * seed + i);
  return { replaced, replacedVecs: far(replaced.length), added, addedVecs: far(added.length), deleted };
}

/** Starts every write of `e` at once (no await in between); resolves when all committed. */
function applyEdits(s: RvfStore, e: Edits, model: Model): Promise<unknown> {
  const writes = [
    s.ingestBatch(e.replacedVecs, e.replaced),
    s.ingestBatch(e.addedVecs, e.added),
    s.delete(e.deleted),
  ];
  e.replaced.forEach((id, i) => {
    model.set(id, e.replacedVecs.slice(i * DIM, (i + 1) * DIM));
  });
  e.added.forEach((id, i) => {
    model.set(id, e.addedVecs.slice(i * DIM, (i + 1) * DIM));
  });
  for (const id of e.deleted) model.delete(id);
  return Promise.all(writes);
}

function brute(model: Model, q: Float32Array, k: number) {
  const ids = [...model.keys()].map(Number);
  const flat = new Float32Array(ids.length * DIM);
  ids.forEach((id, i) => {
    flat.set(model.get(id)!, i * DIM);
  });
  return bruteForce(flat, ids, DIM, 'l2', q, k);
}

/**
 * The graph answers the targeted queries exactly as brute force: at each new vector (the
 * replaced ids and the added ones must be found there), at each replaced id's old vector
 * (it must not be found there any more), and at a deleted id's vector.
 */
async function checkGraphAnswers(s: RvfStore, model: Model, e: Edits, label: string): Promise<void> {
  await s.waitForIndex();
  const engine = s.status().engine;
  expect(engine.index, `${label}: index`).toBe('complete');
  expect(engine.indexedVectors, `${label}: indexed`).toBe(model.size);
  const targets: Float32Array[] = [];
  e.replaced.forEach((id, i) => {
    targets.push(e.replacedVecs.subarray(i * DIM, (i + 1) * DIM));
    targets.push(vecs.subarray(id * DIM, (id + 1) * DIM)); // where it used to be
  });
  e.added.forEach((_, i) => {
    targets.push(e.addedVecs.subarray(i * DIM, (i + 1) * DIM));
  });
  for (const id of e.deleted) targets.push(vecs.subarray(id * DIM, (id + 1) * DIM));
  for (const [t, q] of targets.entries()) {
    const got = await s.query(q, 10, { plan: 'hnsw', efSearch: EXHAUSTIVE, includeMetadata: false });
    expect(s.status().engine.lastQueryEngine).toBe('hnsw');
    try {
      expectSameResults(got, brute(model, q, 10), expect);
    } catch (err) {
      throw new Error(`${label}: target ${t}: ${(err as Error).message}`);
    }
  }
  // At its own new vector, each moved id is its own nearest neighbour, at distance 0.
  for (const [i, id] of e.replaced.entries()) {
    const q = e.replacedVecs.subarray(i * DIM, (i + 1) * DIM);
    expect((await s.query(q, 1, { plan: 'hnsw', efSearch: EXHAUSTIVE }))[0]).toMatchObject({
      id,
      distance: 0,
    });
  }
}

const scratchFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`rvfjs-hnsw-${process.pid}-`));
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeAll(async () => {
  const s = await RvfStore.create(basePath, { dimension: DIM });
  await s.ingestBatch(vecs, [...Array(N).keys()]);
  await s.waitForIndex();
  await s.close(); // saves the graph
  const r = await RvfStore.open(basePath, { readOnly: true });
  expect(r.segments().some((x) => x.segType === 'rvfjs_hnsw_graph')).toBe(true);
  await r.close();
}, 60_000);

describe('writes while the saved graph loads in the background', () => {
  it('written right after reopen (before the load can finish): the graph finds every vector where it is now', async () => {
    const path = fresh('now');
    copyFileSync(basePath, path);
    const s = await RvfStore.open(path);
    // Nothing has awaited since open resolved: the graph is still loading.
    expect(s.status().engine.index).toBe('building');
    const model = baseModel();
    const e = makeEdits(1);
    await applyEdits(s, e, model);
    await checkGraphAnswers(s, model, e, 'right after reopen');
    await s.close();
    // Saved again at close: a reopen takes up that graph (not stale) and answers the same.
    const again = await RvfStore.open(path, { readOnly: true });
    await again.waitForIndex();
    expect(again.status().engine.rebuildReason).toBeUndefined();
    await checkGraphAnswers(again, model, e, 'after a second reopen');
    await again.close();
  });

  it('answered by the walked saved graph while hnswlib loads it, with writes made meanwhile in place', async () => {
    const path = fresh('walk');
    copyFileSync(basePath, path);
    const s = await RvfStore.open(path);
    const model = baseModel();
    const e = makeEdits(5);
    await applyEdits(s, e, model);
    // Until hnswlib has the graph, the TypeScript walk of the saved one answers (after at most
    // a few exact answers while it is parsed). Its beam covers the whole graph here, so any
    // difference from brute force would be a moved, added or deleted vector answered wrongly.
    const engines = new Set<string | null>();
    const targets = [
      ...e.replaced.map((_, i) => e.replacedVecs.subarray(i * DIM, (i + 1) * DIM)),
      ...e.replaced.map((id) => vecs.subarray(id * DIM, (id + 1) * DIM)),
      ...e.deleted.map((id) => vecs.subarray(id * DIM, (id + 1) * DIM)),
      ...e.added.map((_, i) => e.addedVecs.subarray(i * DIM, (i + 1) * DIM)),
    ];
    for (let i = 0; s.status().engine.lastQueryEngine !== 'hnsw' && i < 20_000; i++) {
      const q = targets[i % targets.length]!;
      const got = await s.query(q, 10, { plan: 'hnsw', efSearch: EXHAUSTIVE, includeMetadata: false });
      const engine = s.status().engine.lastQueryEngine;
      engines.add(engine);
      if (engine === 'hnsw-js') expectSameResults(got, brute(model, q, 10), expect);
    }
    expect([...engines]).toContain('hnsw-js');
    expect(engines.has('hnsw')).toBe(true);
    await checkGraphAnswers(s, model, e, 'after the walk');
    await s.close();
  });

  it('written in the middle of the load, after its vectors were streamed: they are re-inserted, the saved graph is kept', async () => {
    const path = fresh('mid');
    copyFileSync(basePath, path);
    const before = new Set(scratchFiles());
    const s = await RvfStore.open(path);
    // The load writes hnswlib's file to a scratch file: once the level-0 block (vectors
    // included) is there, every vector has been streamed and checked against the graph's
    // digest, and hnswlib has yet to read the file. Writes now change vectors the loading
    // graph holds old copies of.
    let streamed = false;
    for (let i = 0; i < 20_000 && !streamed; i++) {
      for (const f of scratchFiles()) {
        if (before.has(f)) continue;
        const size = statSync(join(tmpdir(), f), { throwIfNoEntry: false })?.size ?? 0;
        if (size >= 96 + LEVEL0_BYTES) streamed = true;
      }
      if (!streamed) {
        expect(s.status().engine.index, 'the load ended before it was seen streaming').toBe('building');
        await turn();
      }
    }
    expect(streamed).toBe(true);
    expect(s.status().engine.index).toBe('building'); // hnswlib has yet to read the file
    const model = baseModel();
    const e = makeEdits(2);
    await applyEdits(s, e, model);
    await checkGraphAnswers(s, model, e, 'mid-load');
    // The saved graph was taken up (its digest matched the vectors as streamed): the catch-up
    // of the writes made during the load is what put the moved vectors in their place.
    expect(s.status().engine.rebuildReason).toBeUndefined();
    await s.close();
  });

  it('written after 1 to 21 turns of the event loop: whichever stage the load is at, the graph ends up right', async () => {
    for (const [i, delay] of [1, 3, 8, 21].entries()) {
      const path = fresh(`delay${delay}`);
      copyFileSync(basePath, path);
      const s = await RvfStore.open(path);
      for (let t = 0; t < delay; t++) await turn();
      const model = baseModel();
      const e = makeEdits(10 + i);
      await applyEdits(s, e, model);
      await checkGraphAnswers(s, model, e, `after ${delay} turns`);
      await s.close();
    }
  }, 60_000);

  it('a branch made right after reopen, with writes on both sides, answers from its graph exactly', async () => {
    const path = fresh('bp');
    copyFileSync(basePath, path);
    const parent = await RvfStore.open(path);
    // No await between open and branch: the parent's graph is still loading.
    const branching = parent.branch(fresh('bc'));
    const parentModel = baseModel();
    const parentEdits = makeEdits(3);
    const parentWrites = applyEdits(parent, parentEdits, parentModel); // queued after the branch
    const child = await branching;
    const childModel = baseModel(); // the parent as it was at the branch
    const childEdits = makeEdits(4);
    await applyEdits(child, childEdits, childModel);
    await parentWrites;
    await checkGraphAnswers(child, childModel, childEdits, 'child');
    // The parent's writes after the branch stay out of the child: its old vectors are found.
    for (const id of parentEdits.replaced.filter((x) => childModel.has(x)).slice(0, 5)) {
      const q = vecs.subarray(id * DIM, (id + 1) * DIM);
      expectSameResults(
        await child.query(q, 5, { plan: 'hnsw', efSearch: EXHAUSTIVE }),
        brute(childModel, q, 5),
        expect,
      );
    }
    await checkGraphAnswers(parent, parentModel, parentEdits, 'parent');
    await child.close();
    await parent.close();
  });
});
