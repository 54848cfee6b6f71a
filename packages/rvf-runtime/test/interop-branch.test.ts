import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { randomVectors, tempDir } from './helpers.js';
import { Model } from './interop/model.js';
import { expectSameHits, RvfDatabase, refQuery } from './interop/reference.js';

const work = tempDir('rvfjs-interop-branch-');
afterAll(() => work.cleanup());
let fileNo = 0;
const fresh = (name: string) => join(work.dir, `${name}${fileNo++}.rvf`);

describe('branches we write, read by the reference', () => {
  it('a child (and its edits) opens in the reference with our results while the parent is unchanged', async () => {
    const dim = 8;
    const parentPath = join(work.dir, 'parent.rvf');
    const childPath = join(work.dir, 'child.rvf');
    const parent = await RvfStore.create(parentPath, { dimension: dim });
    await parent.ingestBatch(randomVectors(300, dim, 1), [...Array(300).keys()]);
    await parent.delete([7, 8]);
    const child = await parent.branch(childPath);
    await child.ingestBatch(randomVectors(5, dim, 2), [0, 1, 2, 1000, 1001]);
    await child.delete([3, 4, 1001]);
    const queries = randomVectors(10, dim, 3);
    const ours: { id: number; distance: number }[][] = [];
    for (let q = 0; q < 10; q++) {
      const res = await child.query(queries.subarray(q * dim, (q + 1) * dim), 10);
      ours.push(res.map((r) => ({ id: Number(r.id), distance: r.distance })));
    }
    await child.close();
    await parent.close();

    const ref = RvfDatabase.openReadonly(childPath);
    try {
      for (let q = 0; q < 10; q++) {
        const theirs = ref.query(queries.subarray(q * dim, (q + 1) * dim), 10);
        expectSameHits(theirs, ours[q]!, `query ${q}`);
      }
    } finally {
      ref.close?.();
    }
    // Our reopened child agrees too.
    const again = await RvfStore.open(childPath, { readOnly: true });
    const res = await again.query(queries.subarray(0, dim), 10);
    expect(res.map((r) => Number(r.id))).toEqual(ours[0]!.map((h) => h.id));
    await again.close();
  });
});

describe('children of parents with a saved graph, read by the reference', () => {
  const DIM = 16;
  /** Above the index threshold, so the parent has a graph to save (the write that used to land after the branch). */
  const N = 2000;

  /** A parent with N vectors (ids 0..N-1) and its model. */
  async function parentStore(path: string, seed: number): Promise<{ store: RvfStore; model: Model }> {
    const model = new Model(DIM, 'l2');
    const store = await RvfStore.create(path, { dimension: DIM, metric: 'l2' });
    const v = randomVectors(N, DIM, seed);
    const ids = [...Array(N).keys()];
    await store.ingestBatch(v, ids);
    model.ingest(v, ids);
    return { store, model };
  }

  /** Rewrites two inherited ids, adds one, deletes one: the child's own edits, in its model. */
  async function editChild(child: RvfStore, parentModel: Model, i: number): Promise<Model> {
    const model = new Model(DIM, 'l2');
    for (const id of parentModel.liveIds()) model.ingest(parentModel.vectorOf(id), [id]);
    const v = randomVectors(3, DIM, 900 + i);
    const ids = [i, 10 + i, N + i];
    await child.ingestBatch(v, ids);
    model.ingest(v, ids);
    await child.delete([100 + i]);
    model.delete([100 + i]);
    return model;
  }

  /** The reference opens the child read-only and answers as the model (exact k-NN) does. */
  function expectReferenceAnswers(childPath: string, model: Model, i: number, label: string): void {
    const ref = RvfDatabase.openReadonly(childPath);
    try {
      const queries = randomVectors(8, DIM, 4242);
      for (let q = 0; q < 8; q++) {
        const query = queries.subarray(q * DIM, (q + 1) * DIM);
        expectSameHits(refQuery(ref, query, 10), model.search(query, 10), `${label}, query ${q}`);
      }
      // At an edited vector the child's own version is what the reference finds.
      expect(Number(refQuery(ref, model.vectorOf(N + i), 1)[0]!.id)).toBe(N + i);
    } finally {
      ref.close();
    }
  }

  it('every child of a frozen parent opens, with the same answers, and the parent file is never touched', async () => {
    const parentPath = fresh('frozen-parent-');
    const { store: parent, model } = await parentStore(parentPath, 61);
    await parent.freeze(); // finishes and saves the graph with the freeze
    const frozenBytes = readFileSync(parentPath);
    const children: { path: string; model: Model }[] = [];
    for (let i = 0; i < 5; i++) {
      const path = fresh(`frozen-child-${i}-`);
      const child = await parent.branch(path);
      children.push({ path, model: await editChild(child, model, i) });
      await child.close();
    }
    await parent.close();
    expect(readFileSync(parentPath).equals(frozenBytes)).toBe(true);
    for (const [i, c] of children.entries()) expectReferenceAnswers(c.path, c.model, i, `frozen child ${i}`);
    // The parent kept its graph: saved with the freeze, loaded by a fresh open.
    const again = await RvfStore.open(parentPath, { readOnly: true });
    await again.waitForIndex();
    expect(again.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect(again.status().engine.rebuildReason).toBeUndefined();
    await again.close();
  });

  it("an unfrozen parent's graph save lands before the child's parent hash, so the reference opens the child", async () => {
    const parentPath = fresh('open-parent-');
    const { store: first, model } = await parentStore(parentPath, 62);
    await first.close(); // graph saved
    // Reopened: 1500 more vectors go into the loaded graph on the event loop, more than closing
    // leaves unsaved, so a save is due when the branch is made.
    const parent = await RvfStore.open(parentPath);
    const more = randomVectors(1500, DIM, 63);
    const moreIds = [...Array(1500).keys()].map((i) => 50_000 + i);
    await parent.ingestBatch(more, moreIds);
    model.ingest(more, moreIds);
    await parent.waitForIndex();
    const graphsBefore = parent.segments().filter((s) => s.segType === 'rvfjs_hnsw_graph').length;
    const childPath = fresh('open-child-');
    const child = await parent.branch(childPath);
    // The save went into the branch's own commit, before the child's parent hash was taken.
    expect(parent.segments().filter((s) => s.segType === 'rvfjs_hnsw_graph').length).toBe(graphsBefore + 1);
    const childModel = await editChild(child, model, 0);
    await child.close();
    const size = readFileSync(parentPath).length;
    await parent.close();
    expect(readFileSync(parentPath).length, 'closing the parent appended nothing').toBe(size);
    expectReferenceAnswers(childPath, childModel, 0, 'unfrozen child');
  });
});

describe("a child's size on the same work as the reference's", () => {
  const DIM = 128;
  /**
   * The work: 100 upserts (50 overriding inherited ids, 50 new) and 50 deletes of
   * inherited ids, in a child of an n × 128 parent. Both parents are written by their own
   * engine; ours defers its graph (opt-out), which changes nothing in the child's file and
   * keeps a 100k parent and its child from building graphs here.
   */
  it.each([1_000, 20_000, 100_000])(
    'n = %i: our child is no larger than the reference child, after the edits and after close',
    async (n) => {
      const vectors = randomVectors(n, DIM, 21);
      const ids = [...Array(n).keys()];
      const editIds = [
        ...Array.from({ length: 50 }, (_, i) => i),
        ...Array.from({ length: 50 }, (_, i) => n + i),
      ];
      const edits = randomVectors(100, DIM, 22);
      const deletes = Array.from({ length: 50 }, (_, i) => 50 + i);
      const size = (p: string) => readFileSync(p).length;

      const ourParent = fresh(`size-ours-parent-${n}-`);
      const built = await RvfStore.create(ourParent, { dimension: DIM, deferIndex: true });
      for (let at = 0; at < n; at += 10_000) {
        const to = Math.min(n, at + 10_000);
        await built.ingestBatch(vectors.subarray(at * DIM, to * DIM), ids.slice(at, to));
      }
      await built.close();
      const parent = await RvfStore.open(ourParent, { deferIndex: true });
      const ourChild = fresh(`size-ours-child-${n}-`);
      const child = await parent.branch(ourChild);
      await child.ingestBatch(edits, editIds);
      await child.delete(deletes);
      const oursAfterEdits = size(ourChild);
      expect(child.status().totalVectors).toBe(n + 50 - 50);
      await child.close();
      await parent.close();
      const oursAfterClose = size(ourChild);

      const refParent = fresh(`size-ref-parent-${n}-`);
      const db = RvfDatabase.create(refParent, { dimension: DIM, metric: 'l2' });
      for (let at = 0; at < n; at += 10_000) {
        const to = Math.min(n, at + 10_000);
        db.ingestBatch(vectors.slice(at * DIM, to * DIM), ids.slice(at, to));
      }
      db.close();
      const refDb = RvfDatabase.open(refParent);
      const refChild = fresh(`size-ref-child-${n}-`);
      const rc = refDb.branch(refChild);
      rc.ingestBatch(edits, editIds);
      rc.delete(deletes);
      const refAfterEdits = size(refChild);
      rc.close();
      refDb.close();
      const refAfterClose = size(refChild);

      console.log(
        `n=${n}: child after edits ${oursAfterEdits} B (reference ${refAfterEdits} B), after close ${oursAfterClose} B (reference ${refAfterClose} B)`,
      );
      expect(oursAfterEdits).toBeLessThanOrEqual(refAfterEdits);
      expect(oursAfterClose).toBeLessThanOrEqual(refAfterClose);
    },
    120_000,
  );
});
