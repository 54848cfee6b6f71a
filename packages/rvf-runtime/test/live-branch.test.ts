/**
 * VectorTable.live is kept in step with isLive(ord) by every change (ingest, re-ingest,
 * delete, deleteByFilter, load, fork, a child's claims and hides), and branch() now builds
 * the child's MEMBERSHIP from it instead of scanning the vectors. So a live set that drifts
 * from isLive() would silently give a child the wrong view. Seeded random sequences of store
 * operations (parents, children, grandchildren, reopens) check after every step, for every
 * open store, that table.live holds exactly {ids[ord] : isLive(ord)}, that the store shows
 * exactly a plain model's view, and at each branch that the child's MEMBERSHIP segment on
 * disk has exactly the parent's visible ids as bits.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleHash } from '@rvfjs/crypto';
import { ErrorCode, RvfError, SegmentType } from '@rvfjs/types';
import { decodeMembershipPayload, encodeMembershipPayload } from '@rvfjs/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { F, type IdKey, RvfStore } from '../src/index.js';
import type { VectorTable } from '../src/vector-table.js';
import { appendCommit, bruteForce, expectSameResults, rng, tempDir } from './helpers.js';

const work = tempDir('rvfjs-live-branch-');
afterAll(() => work.cleanup());
let fileNo = 0;
const fresh = (name: string) => join(work.dir, `${name}-${fileNo++}.rvf`);

const DIM = 4;
/**
 * Mostly small dense ids (the bitmap path of LiveIds), plus two sparse ones that a store of
 * a few dozen vectors keeps in LiveIds' Set (≥ 2^20 and far above 16 × the entry count).
 * All are below 2^28, so every store here can branch.
 */
const SPARSE = [2 ** 20 + 3, 3_000_000];
const POOL: number[] = [...Array(40).keys(), ...SPARSE];

interface Entry {
  vec: Float32Array;
  tag: number | undefined;
}
type Model = Map<IdKey, Entry>;
interface Handle {
  name: string;
  path: string;
  store: RvfStore;
  /** What the store must show: id → current vector and metadata tag. */
  model: Model;
}

const tableOf = (s: RvfStore) => (s as unknown as { table: VectorTable }).table;

/** Ids whose bit is set in a MEMBERSHIP-layout bitmap (bit i of byte i/8 = id i). */
function bitsOf(bitmap: Uint8Array): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < bitmap.length; byte++) {
    const b = bitmap[byte]!;
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) if ((b >> bit) & 1) out.push(byte * 8 + bit);
  }
  return out;
}

const sortKeys = (ids: Iterable<IdKey>) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The brute-force visible set: every ordinal's id where isLive(ord) holds. */
function bruteLive(t: VectorTable): Set<IdKey> {
  const out = new Set<IdKey>();
  for (let ord = 0; ord < t.count; ord++) if (t.isLive(ord)) out.add(t.idOf(ord));
  return out;
}

/** table.live = brute force, through both has() and toMembership(); the store shows the model. */
function checkHandle(h: Handle, where: string): void {
  const t = tableOf(h.store);
  const brute = bruteLive(t);
  // The store itself is right: its visible ids are the model's.
  expect(sortKeys(brute), `${where}: visible ids`).toEqual(sortKeys(h.model.keys()));
  for (const id of POOL) {
    if (t.live.has(id) !== brute.has(id))
      throw new Error(`${where}: live.has(${id}) = ${t.live.has(id)}, isLive says ${brute.has(id)}`);
  }
  const m = t.live.toMembership();
  if (!('bitmap' in m)) throw new Error(`${where}: toMembership refused ${String(m.unrepresentable)}`);
  // toMembership enumerates the set, so this also rules out ids outside the pool.
  expect(bitsOf(m.bitmap), `${where}: live bitmap`).toEqual(sortKeys(brute));
  const max = brute.size === 0 ? -1 : Math.max(...[...brute].map(Number));
  expect(m.capacity, `${where}: capacity`).toBe(max + 1);
  expect(m.bitmap.length).toBe(Math.ceil((max + 1) / 64) * 8);
  // get() answers from the same table: the current vector of every visible id, nothing else.
  for (const id of POOL) {
    const got = h.store.get(id);
    const want = h.model.get(id);
    if (!want) expect(got, `${where}: get(${id})`).toBeUndefined();
    else {
      expect(got, `${where}: get(${id})`).toBeDefined();
      expect(Array.from(got!.vector), `${where}: vector of ${id}`).toEqual(Array.from(want.vec));
      expect(got!.metadata?.tag, `${where}: tag of ${id}`).toBe(want.tag);
    }
  }
  expect(h.store.status().totalVectors, `${where}: totalVectors`).toBe(h.model.size);
}

/** An exact query for every visible vector returns exactly the model's ids at its distances. */
async function checkQuery(h: Handle, q: Float32Array, where: string): Promise<void> {
  if (h.model.size === 0) {
    expect(await h.store.query(q, 5, { plan: 'exact' })).toEqual([]);
    return;
  }
  const ids = [...h.model.keys()].map(Number);
  const flat = new Float32Array(ids.length * DIM);
  ids.forEach((id, i) => {
    flat.set(h.model.get(id)!.vec, i * DIM);
  });
  const got = await h.store.query(q, ids.length, { plan: 'exact', includeMetadata: false });
  const want = bruteForce(flat, ids, DIM, 'l2', q, ids.length);
  try {
    expectSameResults(got, want, expect);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** The child file's MEMBERSHIP segment as written (decoded from disk, not from memory). */
function membershipOnDisk(child: RvfStore, path: string) {
  const segs = child.segments().filter((s) => s.segType === 'membership');
  const last = segs[segs.length - 1]!;
  const bytes = readFileSync(path);
  return {
    count: segs.length,
    ...decodeMembershipPayload(bytes.subarray(last.offset + 64, last.offset + 64 + last.payloadLength)),
  };
}

async function rejects(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(RvfError);
  expect((err as RvfError).code).toBe(code);
  if (pattern) expect((err as RvfError).message).toMatch(pattern);
}

/** One seeded run: a root store, then random steps on random open stores. */
async function runSequence(seed: number, steps: number): Promise<{ branches: number; reopens: number }> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const vec = () => Float32Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1));
  // Small ids mostly; the sparse ones now and then.
  const anyId = () => (r() < 0.1 ? pick(SPARSE) : Math.floor(r() * 40));
  const rootPath = fresh(`root${seed}`);
  const root: Handle = {
    name: 'root',
    path: rootPath,
    store: await RvfStore.create(rootPath, { dimension: DIM }),
    model: new Map(),
  };
  const handles: Handle[] = [root];
  const log: string[] = [];
  let branches = 0;
  let reopens = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const h = step < 2 ? root : pick(handles);
      const roll = step < 2 ? 0 : r();
      let what: string;
      if (roll < 0.35) {
        // New ids, re-ingests of visible ones, and re-ingests of deleted (or hidden inherited) ones.
        const n = 1 + Math.floor(r() * 8);
        const ids = [...new Set(Array.from({ length: n }, anyId))];
        const vecs = ids.map(() => vec());
        const withMeta = r() < 0.8;
        const tags = ids.map(() => Math.floor(r() * 3));
        await h.store.ingestBatch(
          vecs.map((v) => Array.from(v)),
          ids,
          withMeta ? tags.map((tag) => ({ tag })) : undefined,
        );
        ids.forEach((id, i) => {
          h.model.set(id, { vec: vecs[i]!, tag: withMeta ? tags[i] : undefined });
        });
        what = `ingest ${ids.join(',')}`;
      } else if (roll < 0.55) {
        // Visible, already-deleted and never-seen ids alike.
        const ids = [...new Set(Array.from({ length: 1 + Math.floor(r() * 4) }, anyId))];
        const res = await h.store.delete(ids);
        expect(res.deleted).toBe(ids.filter((id) => h.model.has(id)).length);
        for (const id of ids) h.model.delete(id);
        what = `delete ${ids.join(',')}`;
      } else if (roll < 0.65) {
        const tag = Math.floor(r() * 3);
        const res = await h.store.deleteByFilter(F.eq('tag', tag));
        const gone = [...h.model].filter(([, e]) => e.tag === tag).map(([id]) => id);
        expect(res.deleted).toBe(gone.length);
        for (const id of gone) h.model.delete(id);
        what = `deleteByFilter tag=${tag}`;
      } else if (roll < 0.82 && handles.length < 5) {
        // A branch (of a root, a child or a grandchild): the child must see exactly this
        // store's visible ids now, and its MEMBERSHIP must hold exactly them.
        const name = `${h.name}.${branches}`;
        const path = fresh(`${name}-${seed}`);
        const visible = sortKeys(h.model.keys());
        const parentSize = statSync(h.path).size;
        const child = await h.store.branch(path);
        branches++;
        const c: Handle = { name, path, store: child, model: new Map(h.model) };
        handles.push(c);
        const mem = membershipOnDisk(child, path);
        expect(mem.count).toBe(1);
        expect(bitsOf(mem.bitmap), `${name}: MEMBERSHIP bits`).toEqual(visible);
        const capacity = visible.length === 0 ? 0 : Number(visible[visible.length - 1]) + 1;
        expect(mem.vectorCount).toBe(BigInt(capacity));
        expect(mem.filterMode).toBe(0); // include: a set bit means visible
        expect(child.membershipFilter()).toEqual({
          mode: 'include',
          memberCount: visible.length,
          vectorCount: capacity,
        });
        // The parent only records that it has a child (a small state segment + manifest).
        expect(statSync(h.path).size).toBeGreaterThan(parentSize);
        await checkQuery(c, vec(), `${name} at branch`);
        what = `branch ${h.name} → ${name}`;
      } else {
        await h.store.close();
        h.store = await RvfStore.open(h.path);
        reopens++;
        what = `reopen ${h.name}`;
      }
      log.push(`${step}: ${what}`);
      // Every open store, not only the one written: a child's writes must not touch its
      // parent's table (the vectors and metadata are shared copy-on-write), nor the reverse.
      for (const x of handles) checkHandle(x, `seed ${seed} step ${step} (${what}) on ${x.name}`);
      if (step % 4 === 3)
        for (const x of handles) await checkQuery(x, vec(), `seed ${seed} step ${step} ${x.name}`);
    }
  } catch (e) {
    throw new Error(`seed ${seed} failed after:\n${log.join('\n')}\n${(e as Error).stack ?? e}`);
  } finally {
    for (const x of handles) await x.store.close().catch(() => undefined);
  }
  return { branches, reopens };
}

describe('table.live stays equal to isLive() through writes, branches and reopens', () => {
  it('24 seeded random sequences over roots, children and grandchildren', async () => {
    let branches = 0;
    let reopens = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const got = await runSequence(seed, 22);
      branches += got.branches;
      reopens += got.reopens;
    }
    // The sequences must actually have branched and reopened for the checks to mean much.
    expect(branches).toBeGreaterThan(24);
    expect(reopens).toBeGreaterThan(24);
  }, 120_000);

  it('a child that hides, re-shows and overrides inherited ids branches a grandchild with exactly its view', async () => {
    // A deterministic walk through the claim path: every kind of change to an inherited id.
    const path = fresh('p');
    const p = await RvfStore.create(path, { dimension: DIM });
    const vecs = Array.from({ length: 20 }, (_, i) => [i, 0, 0, 0]);
    await p.ingestBatch(vecs, [...Array(20).keys()]);
    await p.delete([19]);
    const child = await p.branch(fresh('c'));
    await child.delete([0, 1, 2]); // hide inherited: membership bits cleared
    await child.ingestBatch([[100, 0, 0, 0]], [1]); // re-show a hidden inherited id as own
    await child.ingestBatch([[200, 0, 0, 0]], [5]); // override a visible inherited id
    await child.ingestBatch([[300, 0, 0, 0]], [19]); // an id the parent had deleted
    await child.ingestBatch([[400, 0, 0, 0]], [50]); // a new id
    await child.delete([50]); // own tombstone
    const view = [1, ...Array.from({ length: 16 }, (_, i) => i + 3), 19];
    expect(sortKeys(bruteLive(tableOf(child)))).toEqual(view);
    const gPath = fresh('g');
    const grand = await child.branch(gPath);
    expect(bitsOf(membershipOnDisk(grand, gPath).bitmap)).toEqual(view);
    expect(grand.get(1)?.vector).toEqual(Float32Array.of(100, 0, 0, 0));
    expect(grand.get(5)?.vector).toEqual(Float32Array.of(200, 0, 0, 0));
    expect(grand.get(0)).toBeUndefined();
    expect(grand.get(50)).toBeUndefined();
    await grand.close();
    await child.close();
    await p.close();
  });
});

describe("a child's rewrites of inherited ids", () => {
  it("go to new ordinals: the parent's vectors stay shared, uncopied, and both sides answer exactly", async () => {
    const path = fresh('shared-parent');
    const parent = await RvfStore.create(path, { dimension: DIM });
    const r = rng(5);
    const vec = () => Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1));
    const parentModel: Model = new Map();
    const ids = Array.from({ length: 300 }, (_, i) => i);
    const vecs = ids.map(() => vec());
    await parent.ingestBatch(vecs, ids);
    ids.forEach((id, i) => {
      parentModel.set(id, { vec: Float32Array.from(vecs[i]!), tag: undefined });
    });
    const child = await parent.branch(fresh('shared-child'));
    const shared = tableOf(parent).vectors.buffer;
    expect(tableOf(child).vectors.buffer).toBe(shared);
    // Rewrites of inherited ids, twice for some, and new ids: the child's own ordinals.
    const childModel: Model = new Map(parentModel);
    for (const batch of [
      [3, 4, 5, 1000],
      [4, 250, 1001],
    ]) {
      const bv = batch.map(() => vec());
      await child.ingestBatch(bv, batch);
      batch.forEach((id, i) => {
        childModel.set(id, { vec: Float32Array.from(bv[i]!), tag: undefined });
      });
    }
    await child.delete([5, 6]);
    childModel.delete(5);
    childModel.delete(6);
    // Nothing was written over an inherited ordinal, so neither side copied the array.
    expect(tableOf(child).vectors.buffer).toBe(shared);
    expect(tableOf(parent).vectors.buffer).toBe(shared);
    const q = Float32Array.from(vec());
    await checkQuery({ name: 'parent', path, store: parent, model: parentModel }, q, 'parent');
    await checkQuery({ name: 'child', path, store: child, model: childModel }, q, 'child');
    checkHandle({ name: 'child', path, store: child, model: childModel }, 'child');
    checkHandle({ name: 'parent', path, store: parent, model: parentModel }, 'parent');
    // The same after the child is reopened (its records replayed onto the parent's table).
    const childPath = child.path;
    await child.close();
    const again = await RvfStore.open(childPath);
    checkHandle({ name: 'child', path: childPath, store: again, model: childModel }, 'child reopened');
    await checkQuery(
      { name: 'child', path: childPath, store: again, model: childModel },
      q,
      'child reopened',
    );
    await again.close();
    await parent.close();
  });
});

describe("a grandchild's COW_MAP", () => {
  it("counts one vector per id of its parent, however many ordinals the parent's rewrites took", async () => {
    // 256 vectors of dimension 4 fill exactly one 4 KiB cluster (256 per cluster).
    const root = await RvfStore.create(fresh('cow-root'), { dimension: DIM });
    const ids = Array.from({ length: 256 }, (_, i) => i);
    await root.ingestBatch(
      ids.map((i) => [i, 0, 0, 1]),
      ids,
    );
    const child = await root.branch(fresh('cow-child'));
    await child.ingestBatch(
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
      [0, 1],
    );
    const grandchild = await child.branch(fresh('cow-grandchild'));
    expect(grandchild.cowStats()).toMatchObject({ clusterCount: 1, vectorsPerCluster: 256 });
    await child.ingestBatch([[3, 3, 3, 3]], [9999]);
    const second = await child.branch(fresh('cow-grandchild2'));
    expect(second.cowStats()).toMatchObject({ clusterCount: 2 });
    for (const s of [second, grandchild, child, root]) await s.close();
  });
});

describe('edge cases of the live set at branch time', () => {
  it('a store whose vectors are all deleted branches an empty child (a MEMBERSHIP of capacity 0)', async () => {
    const path = fresh('empty');
    const s = await RvfStore.create(path, { dimension: DIM });
    await s.ingestBatch(
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      [2, SPARSE[0]!],
    );
    await s.delete([2, SPARSE[0]!]);
    expect(bruteLive(tableOf(s)).size).toBe(0);
    const cPath = fresh('empty-child');
    const child = await s.branch(cPath);
    const mem = membershipOnDisk(child, cPath);
    expect(mem.vectorCount).toBe(0n);
    expect(mem.bitmap.length).toBe(0);
    expect(child.status().totalVectors).toBe(0);
    expect(child.get(2)).toBeUndefined();
    // The empty child is usable, and reopens.
    await child.ingestBatch([[1, 1, 1, 1]], [2]);
    await child.close();
    const again = await RvfStore.open(cPath);
    expect(sortKeys(bruteLive(tableOf(again)))).toEqual([2]);
    expect(again.get(2)?.vector).toEqual(Float32Array.of(1, 1, 1, 1));
    await again.close();
    await s.close();
  });
});

/**
 * Appends one commit holding a MEMBERSHIP segment with `bits` set, as another writer could:
 * the format only says a set bit makes an inherited id visible, so bits for ids the parent
 * hides, or never had, are legal (they show nothing).
 */
async function appendMembership(path: string, bits: readonly number[]): Promise<void> {
  const capacity = Math.max(...bits) + 1;
  const bitmap = new Uint8Array(Math.ceil(capacity / 64) * 8);
  for (const id of bits) bitmap[id >> 3]! |= 1 << (id & 7);
  const payload = encodeMembershipPayload({
    version: 1,
    filterType: 0,
    filterMode: 0,
    vectorCount: BigInt(capacity),
    memberCount: BigInt(bits.length),
    filterOffset: 96n,
    generationId: 0,
    filterHash: simpleHash(bitmap),
    bloomOffset: 0n,
    bloomSize: 0,
    bitmap,
  });
  await appendCommit(path, [{ segType: SegmentType.Membership, payload }]);
}

describe('a reopened child (forkForChild without the exact shortcut)', () => {
  /**
   * forkForChild(membership, exact = false) is the path every reopen of a child takes. A
   * MEMBERSHIP from a file may set bits for ids the parent hides or never had (legal: a set
   * bit only ever shows an inherited id that exists), and neither kind may enter the child's
   * live set, or branch() of the child writes them into the grandchild's MEMBERSHIP. (Against
   * commit ea840ac the never-had ids 20 and 40 leaked: the grandchild got vector_count 41 and
   * memberCount 10.)
   */
  it('membership bits for ids the parent hides or never had make nothing live, and do not reach a grandchild', async () => {
    const pPath = fresh('gate-p');
    const p = await RvfStore.create(pPath, { dimension: DIM });
    await p.ingestBatch(
      Array.from({ length: 10 }, (_, i) => [i, 0, 0, 0]),
      [...Array(10).keys()],
    );
    await p.delete([3]);
    const cPath = fresh('gate-c');
    await (await p.branch(cPath)).close();
    await p.close();
    // 3: deleted in the parent; 20 and 40: never in the parent; 5 left out: hidden by the child.
    await appendMembership(cPath, [0, 1, 2, 3, 4, 6, 7, 8, 9, 20, 40]);
    const child = await RvfStore.open(cPath);
    const visible = [0, 1, 2, 4, 6, 7, 8, 9];
    const t = tableOf(child);
    expect(sortKeys(bruteLive(t))).toEqual(visible);
    for (const id of [3, 5, 20, 40]) expect(child.get(id), `get(${id})`).toBeUndefined();
    // live must hold exactly the visible ids, or the next branch would inherit the stray bits.
    const stray = [3, 5, 20, 40].filter((id) => t.live.has(id));
    expect(stray, 'ids live.has() reports that isLive() does not').toEqual([]);
    const gPath = fresh('gate-g');
    const grand = await child.branch(gPath);
    const mem = membershipOnDisk(grand, gPath);
    expect(bitsOf(mem.bitmap)).toEqual(visible);
    expect(mem.vectorCount).toBe(10n);
    expect(grand.membershipFilter()).toEqual({ mode: 'include', memberCount: 8, vectorCount: 10 });
    await grand.close();
    await child.close();
  });
});

describe('branch() refuses ids a MEMBERSHIP bitmap cannot hold', () => {
  it.each<[string, IdKey]>([
    ['2^28', 2 ** 28],
    ['2^40', 2 ** 40],
    ['a bigint beyond 2^53', (1n << 60n) + 7n],
  ])(
    'a live id of %s: MembershipInvalid, nothing written to the parent; after deleting it, branching works',
    async (_, big) => {
      const path = fresh('big');
      const s = await RvfStore.create(path, { dimension: DIM });
      await s.ingestBatch(
        Array.from({ length: 11 }, (_, i) => [i, 1, 2, 3]),
        [...Array.from({ length: 10 }, (_, i) => i * 3), big],
      );
      const size = statSync(path).size;
      const epoch = s.epoch;
      const childPath = fresh('refused');
      await rejects(s.branch(childPath), ErrorCode.MembershipInvalid, /too large/);
      // The refusal comes before the parent records a child: not a byte was appended.
      expect(statSync(path).size).toBe(size);
      expect(s.status().fileSize).toBe(size);
      expect(s.epoch).toBe(epoch);
      expect(existsSync(childPath)).toBe(false);
      // A second attempt is refused the same way (nothing half-done got in the way).
      await rejects(s.branch(childPath), ErrorCode.MembershipInvalid);
      expect(statSync(path).size).toBe(size);

      await s.delete([big]);
      const child = await s.branch(childPath);
      const want = Array.from({ length: 10 }, (_, i) => i * 3);
      expect(bitsOf(membershipOnDisk(child, childPath).bitmap)).toEqual(want);
      expect(child.membershipFilter()).toEqual({ mode: 'include', memberCount: 10, vectorCount: 28 });
      expect(child.status().totalVectors).toBe(10);
      expect(child.get(big)).toBeUndefined();

      // The same holds one level down: a child's own huge id blocks its branches until deleted.
      await child.ingestBatch([[9, 9, 9, 9]], [big]);
      const childSize = statSync(childPath).size;
      await rejects(child.branch(fresh('refused')), ErrorCode.MembershipInvalid);
      expect(statSync(childPath).size).toBe(childSize);
      await child.delete([big]);
      const gPath = fresh('grand');
      const grand = await child.branch(gPath);
      expect(bitsOf(membershipOnDisk(grand, gPath).bitmap)).toEqual(want);
      await grand.close();
      await child.close();

      // And reopened, the parent's live set (rebuilt by the loader) agrees: branching still works.
      await s.close();
      const again = await RvfStore.open(path);
      expect(sortKeys(bruteLive(tableOf(again)))).toEqual(want);
      const c2Path = fresh('again');
      const c2 = await again.branch(c2Path);
      expect(bitsOf(membershipOnDisk(c2, c2Path).bitmap)).toEqual(want);
      await c2.close();
      await again.close();
    },
  );

  it('2^28 − 1, the largest id a bitmap holds, branches', async () => {
    const top = 2 ** 28 - 1;
    const path = fresh('top');
    const s = await RvfStore.create(path, { dimension: DIM });
    await s.ingestBatch(
      [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
      ],
      [7, top],
    );
    const childPath = fresh('top-child');
    const child = await s.branch(childPath);
    const mem = membershipOnDisk(child, childPath);
    expect(mem.vectorCount).toBe(BigInt(2 ** 28));
    expect(bitsOf(mem.bitmap)).toEqual([7, top]);
    expect(child.get(top)?.vector).toEqual(Float32Array.of(0, 1, 0, 0));
    await child.close();
    await s.close();
  }, 30_000);
});
