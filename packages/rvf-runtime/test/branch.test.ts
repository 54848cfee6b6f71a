import { copyFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, describe, expect, it } from 'vitest';
import { F, RvfStore } from '../src/index.js';
import { acquireWriterLock } from '../src/lock.js';
import { bruteForce, expectSameResults, randomVectors, tempDir } from './helpers.js';

const work = tempDir('rvfjs-branch-');
afterAll(() => work.cleanup());
let n = 0;
const fresh = (name = 'f') => join(work.dir, `${name}${n++}.rvf`);

async function rejects(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<RvfError> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(RvfError);
  expect((err as RvfError).code).toBe(code);
  if (pattern) expect((err as RvfError).message).toMatch(pattern);
  return err as RvfError;
}

/** A parent with 200 vectors (dim 8) and metadata, ids 0..199. */
async function makeParent(path = fresh('parent')) {
  const vecs = randomVectors(200, 8, 11);
  const ids = [...Array(200).keys()];
  const meta = ids.map((i) => ({ group: i % 4 === 0 ? 'a' : 'b', rank: i }));
  const store = await RvfStore.create(path, { dimension: 8 });
  await store.ingestBatch(vecs, ids, meta);
  return { store, path, vecs, ids };
}

/** Expected view: a map id → vector, from which brute force is computed. */
function brute(
  view: Map<number, Float32Array>,
  q: Float32Array,
  k: number,
  keep: (id: number) => boolean = () => true,
) {
  const ids = [...view.keys()];
  const flat = new Float32Array(ids.length * 8);
  for (const [i, id] of ids.entries()) flat.set(view.get(id)!, i * 8);
  return bruteForce(flat, ids, 8, 'l2', q, k, keep);
}

describe('branch', () => {
  it('child = parent at branch time ∪ its edits: upserts override, deletes hide, filters see inherited metadata', async () => {
    const { store: parent, vecs } = await makeParent();
    const childPath = fresh('child');
    const child = await parent.branch(childPath);
    const view = new Map<number, Float32Array>();
    for (let i = 0; i < 200; i++) view.set(i, vecs.subarray(i * 8, (i + 1) * 8));
    const q = randomVectors(1, 8, 5);
    expectSameResults(await child.query(q, 10), brute(view, q, 10), expect);

    const upserts = randomVectors(10, 8, 77);
    await child.ingestBatch(upserts, [0, 4, 8, 12, 16, 500, 501, 502, 503, 504]);
    for (const [i, id] of [0, 4, 8, 12, 16, 500, 501, 502, 503, 504].entries()) {
      view.set(id, upserts.subarray(i * 8, (i + 1) * 8));
    }
    await child.delete([1, 2, 3, 501]);
    for (const id of [1, 2, 3, 501]) view.delete(id);
    for (let s = 0; s < 5; s++) {
      const qq = randomVectors(1, 8, 100 + s);
      expectSameResults(await child.query(qq, 15), brute(view, qq, 15), expect);
    }
    // Inherited metadata is filterable; overridden vectors lose it (no metadata given).
    const inA = (id: number) => id < 200 && id % 4 === 0 && ![0, 4, 8, 12, 16].includes(id);
    expectSameResults(
      await child.query(q, 300, { filter: F.eq('group', 'a') }),
      brute(view, q, 300, inA),
      expect,
    );
    // 200 inherited − 3 hidden + 5 new ids − 1 of them deleted; own = 10 written − 1 deleted.
    expect(child.status()).toMatchObject({ totalVectors: 201, ownVectors: 9 });

    // The parent is untouched by the child's edits.
    const pview = new Map<number, Float32Array>();
    for (let i = 0; i < 200; i++) pview.set(i, vecs.subarray(i * 8, (i + 1) * 8));
    expectSameResults(await parent.query(q, 10), brute(pview, q, 10), expect);
    await child.close();

    // And the child reads the same after reopen.
    const again = await RvfStore.open(childPath, { readOnly: true });
    expectSameResults(await again.query(q, 20), brute(view, q, 20), expect);
    expect(again.lineageDepth).toBe(1);
    expect(again.parentId).toBe(parent.fileId);
    await again.close();
    await parent.close();
  });

  it('writes to the parent after branching change nothing for the child and do not break it', async () => {
    const { store: parent, vecs } = await makeParent();
    const childPath = fresh('child');
    const child = await parent.branch(childPath);
    await child.close();
    await parent.ingestBatch(
      randomVectors(50, 8, 3),
      [...Array(50).keys()].map((i) => 1000 + i),
    );
    await parent.delete([5, 6, 7]);
    await parent.ingestBatch(randomVectors(1, 8, 4), [9]);
    await parent.close();
    const c = await RvfStore.open(childPath);
    const view = new Map<number, Float32Array>();
    for (let i = 0; i < 200; i++) view.set(i, vecs.subarray(i * 8, (i + 1) * 8));
    const q = randomVectors(1, 8, 9);
    expectSameResults(await c.query(q, 30), brute(view, q, 30), expect);
    expect(c.status().totalVectors).toBe(200);
    await c.ingestBatch(randomVectors(1, 8, 10), [7000]);
    await c.close();
  });

  it('a refused branch records nothing in the parent (it stays compactable)', async () => {
    const s = await RvfStore.create(fresh('p'), { dimension: 2 });
    await s.ingestBatch(
      [
        [1, 1],
        [2, 2],
      ],
      [1n << 40n, 5],
    );
    const existing = fresh('c');
    await (await RvfStore.create(existing, { dimension: 2 })).close();
    await rejects(s.branch(existing), ErrorCode.PathExists, /already exists/);
    await rejects(s.branch(fresh('c')), ErrorCode.MembershipInvalid, /too large/);
    await s.delete([1n << 40n]);
    await s.compact(); // no phantom child blocks it
    const child = await s.branch(fresh('c')); // a deleted huge id no longer matters
    expect(child.status().totalVectors).toBe(1);
    await child.close();
    await s.close();
  });

  it('a branch whose child lock is taken fails cleanly: no child, no stray files, parent intact', async () => {
    const { store: parent, path, vecs } = await makeParent();
    const childPath = fresh('locked-child');
    // Another writer holds the child's lock (this process, so it is never judged stale).
    const held = await acquireWriterLock(childPath);
    const before = readdirSync(work.dir).sort();
    const sizeBefore = statSync(path).size;
    await rejects(parent.branch(childPath), ErrorCode.LockHeld, /locked-child/);
    // The child's private file and lock attempt are gone, and the parent took back its record
    // of a child (it grew, but compacting is not refused on account of a child that never was).
    expect(readdirSync(work.dir).sort()).toEqual(before);
    expect(statSync(path).size).toBeGreaterThan(sizeBefore);
    await parent.delete([0]);
    await parent.compact();
    await held.release();
    // The parent still answers as before, and a branch to the same path now works.
    const q = vecs.subarray(8, 16);
    const expected = await parent.query(q, 5);
    expect(expected.map((r) => r.id)).not.toContain(0);
    const child = await parent.branch(childPath);
    expect((await child.query(q, 5)).map((r) => r.id)).toEqual(expected.map((r) => r.id));
    await child.close();
    await parent.close();
    const reopened = await RvfStore.open(path, { readOnly: true });
    expect((await reopened.query(q, 5)).map((r) => r.id)).toEqual(expected.map((r) => r.id));
    await reopened.close();
  });

  it('compacting a parent with live children is refused unless forced', async () => {
    const { store: parent } = await makeParent();
    const child = await parent.branch(fresh('child'));
    await child.close();
    await parent.delete([1]);
    await rejects(parent.compact(), ErrorCode.LineageBroken, /branch child/);
    await parent.close();
  });

  it('nests: a grandchild sees grandparent ∪ child edits ∪ its own edits', async () => {
    const { store: gp, vecs } = await makeParent();
    const childPath = fresh('child');
    const child = await gp.branch(childPath);
    await gp.close();
    const cv = randomVectors(2, 8, 21);
    await child.ingestBatch(cv, [3, 300]);
    await child.delete([10]);
    const grandPath = fresh('grand');
    const grand = await child.branch(grandPath);
    await child.ingestBatch(randomVectors(1, 8, 22), [301]); // after the grandchild's branch: invisible to it
    await child.close();
    const gv = randomVectors(1, 8, 23);
    await grand.ingestBatch(gv, [400]);
    await grand.delete([11, 300]);
    await grand.close();

    const view = new Map<number, Float32Array>();
    for (let i = 0; i < 200; i++) view.set(i, vecs.subarray(i * 8, (i + 1) * 8));
    view.set(3, cv.subarray(0, 8));
    view.set(300, cv.subarray(8, 16));
    view.delete(10);
    view.set(400, gv);
    view.delete(11);
    view.delete(300);
    const g = await RvfStore.open(grandPath, { readOnly: true });
    expect(g.lineageDepth).toBe(2);
    for (let s = 0; s < 4; s++) {
      const q = randomVectors(1, 8, 200 + s);
      expectSameResults(await g.query(q, 25), brute(view, q, 25), expect);
    }
    // Metadata from the grandparent is visible two levels down.
    const res = await g.query(view.get(20)!, 1, { filter: F.eq('rank', 20) });
    expect(res[0]).toMatchObject({ id: 20, distance: 0, metadata: { group: 'a', rank: 20 } });
    await g.close();
  });

  it('a missing parent is ParentNotFound naming the path; a replaced one is ParentHashMismatch; a moved one can be re-linked', async () => {
    const { store: parent, path: parentPath } = await makeParent();
    const childPath = fresh('child');
    await (await parent.branch(childPath)).close();
    await parent.close();

    const moved = join(work.dir, 'moved-parent.rvf');
    renameSync(parentPath, moved);
    await rejects(
      RvfStore.open(childPath),
      ErrorCode.ParentNotFound,
      new RegExp(parentPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    );
    const relinked = await RvfStore.open(childPath, { readOnly: true, parentPath: moved });
    expect(relinked.status().totalVectors).toBe(200);
    await relinked.close();
    // Recorded for good: later opens find the parent at its new place without being told.
    const writer = await RvfStore.open(childPath, { parentPath: moved });
    await rejects(writer.relinkParent(join(work.dir, 'nowhere.rvf')), ErrorCode.ParentNotFound);
    await writer.relinkParent(moved);
    await writer.close();
    const plain = await RvfStore.open(childPath, { readOnly: true });
    expect(plain.parentPath).toBe(moved);
    await plain.close();

    // Another file at the parent's path (same content shape, different identity).
    const impostor = await makeParent(parentPath);
    await impostor.store.close();
    // The pin's SHAKE-256 digest of the parent manifest no longer matches.
    await rejects(
      RvfStore.open(childPath, { parentPath }),
      ErrorCode.ParentHashMismatch,
      /no longer holds the state/,
    );
  });

  it('branch time is flat in the parent size and the child file holds only its own edits', async () => {
    const { store: parent, path } = await makeParent();
    const childPath = fresh('child');
    const child = await parent.branch(childPath);
    const childSize0 = statSync(childPath).size;
    await child.ingestBatch(randomVectors(5, 8, 1), [1, 2, 3, 4, 5]);
    await child.delete([6, 7]);
    expect(statSync(childPath).size - childSize0).toBeLessThan(2000);
    expect(statSync(childPath).size).toBeLessThan(statSync(path).size / 2);
    const stats = child.cowStats()!;
    // dim 8 → 128 vectors per 4 KiB cluster → 2 clusters for 200 vectors; edits touch only the first.
    expect(stats).toMatchObject({
      clusterCount: 2,
      vectorsPerCluster: 128,
      localClusters: 1,
      inheritedClusters: 1,
      frozen: false,
    });
    expect(child.membershipFilter()).toEqual({ mode: 'include', memberCount: 198, vectorCount: 200 });
    expect(parent.cowStats()).toBeUndefined();
    await child.close();
    await parent.close();
  });

  it('freeze on a branch persists; branching from a frozen store keeps working', async () => {
    const { store: parent, path } = await makeParent();
    await parent.freeze();
    await rejects(parent.ingestBatch([[1, 1, 1, 1, 1, 1, 1, 1]], [9999]), ErrorCode.SnapshotFrozen);
    const childPath = fresh('child');
    const child = await parent.branch(childPath);
    await child.ingestBatch([[1, 1, 1, 1, 1, 1, 1, 1]], [9999]);
    await child.freeze();
    expect(child.cowStats()?.frozen).toBe(true);
    await child.close();
    await parent.close();
    const reopened = await RvfStore.open(childPath);
    await rejects(reopened.ingestBatch([[2, 2, 2, 2, 2, 2, 2, 2]], [10000]), ErrorCode.SnapshotFrozen);
    expect(reopened.status().totalVectors).toBe(201);
    await reopened.close();
    const p = await RvfStore.open(path);
    expect(p.frozen).toBe(true);
    await p.close();
  });

  it('derive makes a lineage-only child that inherits no vectors and does not need its parent', async () => {
    const { store: parent, path } = await makeParent();
    const childPath = fresh('derived');
    const d = await parent.derive(childPath);
    expect(d.status().totalVectors).toBe(0);
    expect(d.lineageDepth).toBe(1);
    expect(d.parentId).toBe(parent.fileId);
    await d.ingestBatch([[9, 9, 9, 9, 9, 9, 9, 9]], [50]);
    await d.close();
    await parent.close();
    copyFileSync(path, `${path}.bak`);
    renameSync(path, `${path}.gone`);
    const again = await RvfStore.open(childPath, { readOnly: true });
    expect((await again.query([9, 9, 9, 9, 9, 9, 9, 9], 5)).map((r) => r.id)).toEqual([50]);
    await again.close();
  });
});
