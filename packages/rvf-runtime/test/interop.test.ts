/**
 * Interoperability with the reference implementation, `@ruvector/rvf-node@0.2.3` (the
 * published Rust runtime as a native addon): files each side writes are read by the other,
 * our extension segments survive the reference's compaction, and the two writers exclude
 * each other through the shared lock file. These tests run, never skip: if the addon cannot
 * be loaded the suite fails with the reason (see interop/reference.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RvfError, SEGMENT_HEADER_SIZE, SegmentType } from '@rvfjs/types';
import { bytesSource, decodeWitnessPayload, walkSegments } from '@rvfjs/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { F, type FilterInput, RvfStore } from '../src/index.js';
import { randomVectors, rng, tempDir } from './helpers.js';
import { type Meta, type Metric, Model, pick } from './interop/model.js';
import {
  expectSameHits,
  expectSameSegments,
  REFERENCE_VERSION,
  type RefDatabase,
  RvfDatabase,
  refQuery,
} from './interop/reference.js';

const work = tempDir('rvfjs-interop-');
afterAll(() => work.cleanup());
let n = 0;
const fresh = (name = 's') => join(work.dir, `${name}${n++}.rvf`);

const METRICS: Metric[] = ['l2', 'cosine', 'inner_product'];
const CATEGORIES = ['books', 'music', 'film', 'games'];

function queries(count: number, dim: number, seed: number): Float32Array[] {
  const flat = randomVectors(count, dim, seed);
  return [...Array(count).keys()].map((i) => flat.subarray(i * dim, (i + 1) * dim));
}

/** Runs `fn` with a read-only reference handle, closing it afterwards. */
function withReference<T>(path: string, fn: (db: RefDatabase) => T): T {
  const db = RvfDatabase.openReadonly(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * Opens `path` read-only on both sides and checks that the reference sees exactly what we
 * see (and what the model says): status, identity, directory, and k-NN answers.
 */
async function expectReferenceAgrees(path: string, model: Model, label: string, seed: number): Promise<void> {
  const ours = await RvfStore.open(path, { readOnly: true });
  const ref = RvfDatabase.openReadonly(path);
  try {
    const os = ours.status();
    const rs = ref.status();
    expect(rs.totalVectors, `${label}: totalVectors`).toBe(model.liveCount);
    expect(os.totalVectors, `${label}: our totalVectors`).toBe(model.liveCount);
    expect(rs.currentEpoch, `${label}: epoch`).toBe(os.currentEpoch);
    expect(rs.totalSegments, `${label}: totalSegments`).toBe(os.totalSegments);
    expect(rs.fileSize, `${label}: fileSize`).toBe(os.fileSize);
    expect(rs.profileId, `${label}: profileId`).toBe(os.profileId);
    expect(rs.deadSpaceRatio, `${label}: deadSpaceRatio`).toBeCloseTo(os.deadSpaceRatio, 12);
    expect(ref.fileId(), `${label}: fileId`).toBe(ours.fileId);
    expect(ref.metric(), `${label}: metric`).toBe(model.metric);
    expect(ref.dimension(), `${label}: dimension`).toBe(model.dim);
    expectSameSegments(ref.segments(), ours.segments(), label);

    const qs = queries(6, model.dim, seed);
    for (const [i, q] of qs.entries()) {
      const mine = await ours.query(q, 10);
      expectSameHits(mine, model.search(q, 10), `${label}: ours vs model, query ${i}`);
      expectSameHits(refQuery(ref, q, 10), mine, `${label}: reference vs ours, query ${i}`);
    }
    // The whole ranking once, with k beyond the live count.
    const all = model.liveCount + 7;
    const mine = await ours.query(qs[0]!, all);
    expect(mine.length).toBe(model.liveCount);
    expectSameHits(refQuery(ref, qs[0]!, all), mine, `${label}: full ranking`);
  } finally {
    ref.close();
    await ours.close();
  }
}

// ---------------------------------------------------------------------------------------

describe(`reference implementation @ruvector/rvf-node@${REFERENCE_VERSION}`, () => {
  it('is loaded (native addon) and answers', () => {
    const path = fresh('probe');
    const db = RvfDatabase.create(path, { dimension: 2, metric: 'l2' });
    expect(db.ingestBatch(new Float32Array([1, 0, 0, 1]), [1, 2])).toEqual({
      accepted: 2,
      rejected: 0,
      epoch: 1,
    });
    expect(db.query(new Float32Array([1, 0]), 1)).toEqual([{ id: 1, distance: 0 }]);
    db.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('1. stores rvfjs writes are read by the reference', () => {
  const cases = METRICS.flatMap((metric, mi) =>
    [3, 16, 128].map((dim, di) => ({ metric, dim, seed: 100 * mi + di + 1 })),
  );

  it.each(cases)('$metric, dimension $dim', async ({ metric, dim, seed }) => {
    const rand = rng(seed);
    const path = fresh(`w-${metric}-${dim}-`);
    const profile = seed % 4;
    const model = new Model(dim, metric);
    // One size also persists non-default HNSW parameters (an extra rvfjs state segment at epoch 0).
    const hnsw = dim === 16 ? { m: 8, efConstruction: 64 } : {};
    const store = await RvfStore.create(path, { dimension: dim, metric, profile, ...hnsw });

    // Batch 1: plain vectors, ids 1..120, plus an all-zero vector (cosine's 1.0 case).
    const ids1 = [...Array(120).keys()].map((i) => i + 1).concat([777]);
    const v1 = randomVectors(ids1.length, dim, seed * 7);
    v1.fill(0, 120 * dim);
    await store.ingestBatch(v1, ids1);
    model.ingest(v1, ids1);

    // Batch 2: new ids with metadata in the object form (one object per vector, some empty).
    const ids2 = [...Array(60).keys()].map((i) => 200 + i);
    const v2 = randomVectors(ids2.length, dim, seed * 7 + 1);
    const meta2 = ids2.map((id, i) =>
      i % 9 === 0
        ? undefined
        : { category: CATEGORIES[id % 4]!, price: id % 50, rating: Math.round(rand() * 100) / 10 },
    );
    await store.ingestBatch(v2, ids2, meta2);
    model.ingest(v2, ids2, meta2);

    // Batch 3: the reference's flat metadata form; 25 existing ids get new vectors, 15 ids are new.
    const ids3 = pick([...ids1.slice(0, 120), ...ids2], 25, rand).concat(
      [...Array(15).keys()].map((i) => 300 + i),
    );
    const v3 = randomVectors(ids3.length, dim, seed * 7 + 2);
    const flat3 = ids3.flatMap((id) => [
      { fieldId: 10, valueType: 'string' as const, value: `tag${id % 3}` },
      { fieldId: 11, valueType: 'u64' as const, value: String(id * 3) },
    ]);
    await store.ingestBatch(v3, ids3, flat3);
    model.ingest(
      v3,
      ids3,
      ids3.map((id) => ({ 10: `tag${id % 3}`, 11: id * 3 })),
    );

    // Delete some ids (a few never existed).
    const doomed = pick(model.liveIds(), 25, rand).concat([9001, 9002]);
    expect((await store.delete(doomed)).deleted).toBe(25);
    model.delete(doomed);

    // Batch 4: re-ingest 4 deleted ids (rvfjs makes them visible again) and one id twice
    // in the same batch (the later record wins on both sides).
    const revived = doomed.slice(0, 4);
    const dup = model.liveIds()[3]!;
    const ids4 = [...revived, dup, dup];
    const v4 = randomVectors(ids4.length, dim, seed * 7 + 3);
    await store.ingestBatch(v4, ids4);
    model.ingest(v4, ids4);
    expect(store.status().totalVectors).toBe(model.liveCount);
    await store.close();
    expect(existsSync(`${path}.lock`)).toBe(false);

    await expectReferenceAgrees(path, model, `${metric}/${dim} as written`, seed);

    // The revived ids are visible to the reference too: the manifest no longer lists them.
    withReference(path, (ref) => {
      for (const id of revived) {
        const hit = refQuery(ref, model.vectorOf(id), 1)[0];
        if (metric === 'l2') expect(hit, `revived id ${id}`).toEqual({ id, distance: 0 });
        expect(
          refQuery(ref, model.vectorOf(id), model.liveCount).some((h) => h.id === id),
          `revived id ${id} visible to the reference`,
        ).toBe(true);
      }
    });

    // After our compaction the reference still agrees.
    const again = await RvfStore.open(path);
    const c = await again.compact();
    expect(c.segmentsCompacted).toBe(model.deleted.size);
    await again.close();
    model.compact();
    await expectReferenceAgrees(path, model, `${metric}/${dim} after our compact()`, seed + 50);
    withReference(path, (ref) => expect(ref.status().deadSpaceRatio).toBe(0));
  });
});

// ---------------------------------------------------------------------------------------

type Pred = (m: Meta | undefined) => boolean;
const has = (m: Meta | undefined, k: string) => m !== undefined && m[k] !== undefined;
const num = (m: Meta | undefined, k: string) => (has(m, k) ? Number(m![k]) : Number.NaN);

/** Filters over the metadata of section 2, each with an independent predicate. */
const FILTERS: [string, FilterInput | string, Pred][] = [
  ['eq category', F.eq('category', 'music'), (m) => m?.category === 'music'],
  [
    'price in [20, 70)',
    F.and(F.ge('price', 20), F.lt('price', 70)),
    (m) => num(m, 'price') >= 20 && num(m, 'price') < 70,
  ],
  [
    'or',
    F.or(F.eq('category', 'books'), F.gt('score', 0.5)),
    (m) => m?.category === 'books' || num(m, 'score') > 0.5,
  ],
  ['not', F.not(F.eq('category', 'film')), (m) => m?.category !== 'film'],
  ['in', F.in('category', ['books', 'games']), (m) => m?.category === 'books' || m?.category === 'games'],
  ['range', F.range('price', 10, 40), (m) => num(m, 'price') >= 10 && num(m, 'price') < 40],
  [
    'reference JSON',
    JSON.stringify({ op: 'eq', fieldId: 0, valueType: 'string', value: 'games' }),
    (m) => m?.category === 'games',
  ],
];

async function expectFilteredMatchModel(
  store: RvfStore,
  model: Model,
  seed: number,
  label: string,
): Promise<void> {
  const qs = queries(3, model.dim, seed);
  for (const [name, filter, pred] of FILTERS) {
    for (const [i, q] of qs.entries()) {
      for (const k of [5, model.liveCount + 1]) {
        const got = await store.query(q, k, { filter });
        expectSameHits(got, model.search(q, k, pred), `${label}: filter ${name}, query ${i}, k ${k}`);
      }
    }
  }
}

describe('2. our extension segments survive the reference compaction', () => {
  it.each(['l2', 'cosine'] as const)(
    '%s: metadata, field names and witnesses after RvfDatabase.compact()',
    async (metric) => {
      const dim = 12;
      const rand = rng(metric === 'l2' ? 21 : 22);
      const path = fresh(`meta-${metric}-`);
      const model = new Model(dim, metric);
      const store = await RvfStore.create(path, { dimension: dim, metric });
      const metaFor = (id: number, salt: number): Meta => ({
        category: CATEGORIES[(id + salt) % 4]!,
        price: (id * 7 + salt) % 100,
        score: Math.round(rand() * 1000) / 1000,
      });

      const ids1 = [...Array(150).keys()];
      const v1 = randomVectors(ids1.length, dim, 5);
      const m1 = ids1.map((id) => (id % 7 === 0 ? undefined : metaFor(id, 0)));
      await store.ingestBatch(v1, ids1, m1);
      model.ingest(v1, ids1, m1);

      // New vectors and new metadata for 30 existing ids; 20 new ids without metadata.
      const ids2 = pick(ids1, 30, rand).concat([...Array(20).keys()].map((i) => 500 + i));
      const v2 = randomVectors(ids2.length, dim, 6);
      const m2 = ids2.map((id) => (id < 500 ? metaFor(id, 1) : undefined));
      await store.ingestBatch(v2, ids2, m2);
      model.ingest(v2, ids2, m2);

      // The flat form on the same fields (category is field 0, price field 1).
      const ids3 = [...Array(20).keys()].map((i) => 600 + i);
      const v3 = randomVectors(ids3.length, dim, 7);
      await store.ingestBatch(
        v3,
        ids3,
        ids3.flatMap((id) => [
          { fieldId: 0, valueType: 'string' as const, value: CATEGORIES[id % 4]! },
          { fieldId: 1, valueType: 'u64' as const, value: String(id % 100) },
        ]),
      );
      model.ingest(
        v3,
        ids3,
        ids3.map((id) => ({ category: CATEGORIES[id % 4]!, price: id % 100 })),
      );

      const doomed = pick(model.liveIds(), 30, rand);
      await store.delete(doomed);
      model.delete(doomed);
      const byFilter = model
        .liveIds()
        .filter((id) => model.meta.get(id)?.category === 'film' && num(model.meta.get(id), 'price') < 30);
      expect((await store.deleteByFilter(F.and(F.eq('category', 'film'), F.lt('price', 30)))).deleted).toBe(
        byFilter.length,
      );
      model.delete(byFilter);
      // Three deleted ids come back with new metadata.
      const revived = doomed.slice(0, 3);
      const v4 = randomVectors(3, dim, 8);
      const m4 = revived.map((id) => metaFor(id, 2));
      await store.ingestBatch(v4, revived, m4);
      model.ingest(v4, revived, m4);
      const tombstones = model.deleted.size;
      await store.close();

      // The reference compacts the file we wrote.
      const ref = RvfDatabase.open(path);
      expect(ref.status().totalVectors).toBe(model.liveCount);
      const result = ref.compact();
      expect(result.segmentsCompacted).toBe(tombstones);
      const kept = ref.segments().map((s) => s.segType);
      expect(kept).toContain('unknown(0x40)'); // metadata
      expect(kept).toContain('unknown(0x41)'); // field names
      for (const [i, q] of queries(2, dim, 9).entries()) {
        expectSameHits(
          refQuery(ref, q, 10),
          model.search(q, 10),
          `reference after its compaction, query ${i}`,
        );
      }
      ref.close();
      expect(existsSync(`${path}.lock`)).toBe(false);
      model.compact();

      const ours = await RvfStore.open(path);
      expect(ours.status().totalVectors).toBe(model.liveCount);
      expect(ours.status().deadSpaceRatio).toBe(0);
      expect(ours.fieldNames()).toEqual([
        { fieldId: 0, name: 'category' },
        { fieldId: 1, name: 'price' },
        { fieldId: 2, name: 'score' },
      ]);
      await expectFilteredMatchModel(ours, model, 31, 'after the reference compaction');
      for (const id of [...revived, ...ids2.slice(0, 5), ids3[0]!, 7]) {
        expect(ours.get(id)?.metadata, `metadata of ${id}`).toEqual(model.meta.get(id));
      }
      const w = await ours.verifyWitness();
      expect(w.valid, JSON.stringify(w.firstBroken)).toBe(true);
      expect(w.entries).toBe(6); // 4 ingests, delete, deleteByFilter (the reference's own witness follows its manifest)
      expect(w.witnesses.map((x) => x.action.split(':')[0])).toEqual([
        'ingest',
        'ingest',
        'ingest',
        'delete',
        'delete',
        'ingest',
      ]);

      // We keep writing to the compacted file; the chain continues and the reference still reads it.
      const ids5 = [900, 901, 902];
      const v5 = randomVectors(3, dim, 10);
      const m5 = ids5.map((id) => metaFor(id, 3));
      await ours.ingestBatch(v5, ids5, m5);
      model.ingest(v5, ids5, m5);
      await ours.delete([ids1[1]!]);
      model.delete([ids1[1]!]);
      await expectFilteredMatchModel(ours, model, 32, 'after our writes');
      const w2 = await ours.verifyWitness();
      expect(w2.valid, JSON.stringify(w2.firstBroken)).toBe(true);
      // The reference's compaction witness (after its manifest) is adopted by our next commit.
      expect(w2.entries).toBe(9);
      expect(w2.witnesses.map((x) => x.action.split(':')[0]).slice(6)).toEqual([
        'compact',
        'ingest',
        'delete',
      ]);
      await ours.close();
      await expectReferenceAgrees(path, model, `${metric}: reference compaction then our writes`, 33);
    },
  );

  it('INCOMPATIBILITY: a vector the reference re-ingests must not get its old metadata back after the reference compacts', async () => {
    // We write ids 1 and 2 with metadata. The reference (which keeps metadata in memory only)
    // replaces vector 1. Our loader then correctly treats 1 as having no metadata, because its
    // newest VEC record comes after our metadata segment. The reference's compaction moves the
    // single new VEC segment to the front and copies our metadata segment after it, so the old
    // record for id 1 is replayed onto the new vector: compaction changes filtered answers.
    const path = fresh('resurrect-');
    const store = await RvfStore.create(path, { dimension: 2 });
    await store.ingestBatch(
      [
        [1, 0],
        [0, 1],
      ],
      [1, 2],
      [{ tag: 'x' }, { tag: 'y' }],
    );
    await store.close();

    let ref = RvfDatabase.open(path);
    ref.ingestBatch(new Float32Array([5, 5]), [1]);
    ref.close();
    const before = await RvfStore.open(path, { readOnly: true });
    expect(before.get(1)?.metadata).toBeUndefined();
    expect((await before.query([0, 0], 10, { filter: F.eq('tag', 'x') })).map((h) => h.id)).toEqual([]);
    await before.close();

    ref = RvfDatabase.open(path);
    ref.compact();
    ref.close();
    const after = await RvfStore.open(path, { readOnly: true });
    try {
      expect((await after.query([0, 0], 10)).map((h) => h.id)).toEqual([2, 1]);
      expect(after.get(1)?.metadata, 'id 1 was replaced by a writer that knows no metadata').toBeUndefined();
      expect((await after.query([0, 0], 10, { filter: F.eq('tag', 'x') })).map((h) => h.id)).toEqual([]);
    } finally {
      await after.close();
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('3. files the reference writes are read and extended by rvfjs', () => {
  const cases: { metric: Metric; dim: number; seed: number }[] = [
    { metric: 'l2', dim: 5, seed: 41 },
    { metric: 'cosine', dim: 24, seed: 42 },
    { metric: 'inner_product', dim: 9, seed: 43 },
  ];

  /** Both sides read-only: the same status, identity, directory and answers. */
  async function expectWeReadAsReference(path: string, dim: number, seed: number, label: string) {
    const ours = await RvfStore.open(path, { readOnly: true });
    const ref = RvfDatabase.openReadonly(path);
    try {
      const rs = ref.status();
      const os = ours.status();
      expect(os.totalVectors, `${label}: totalVectors`).toBe(rs.totalVectors);
      expect(os.currentEpoch, `${label}: epoch`).toBe(rs.currentEpoch);
      expect(os.totalSegments, `${label}: totalSegments`).toBe(rs.totalSegments);
      expect(os.fileSize, `${label}: fileSize`).toBe(rs.fileSize);
      expect(os.profileId, `${label}: profileId`).toBe(rs.profileId);
      expect(os.deadSpaceRatio, `${label}: deadSpaceRatio`).toBeCloseTo(rs.deadSpaceRatio, 12);
      expect(ours.fileId).toBe(ref.fileId());
      expect(ours.metric).toBe(ref.metric());
      expect(ours.dimension).toBe(ref.dimension());
      expectSameSegments(ref.segments(), ours.segments(), label);
      const qs = queries(8, dim, seed);
      for (const [i, q] of qs.entries()) {
        expectSameHits(await ours.query(q, 10), refQuery(ref, q, 10), `${label}: query ${i}`);
      }
      const all = rs.totalVectors + 5;
      const mine = await ours.query(qs[0]!, all);
      expect(mine.length).toBe(rs.totalVectors);
      expectSameHits(mine, refQuery(ref, qs[0]!, all), `${label}: full ranking`);
      return rs.totalVectors;
    } finally {
      ref.close();
      await ours.close();
    }
  }

  /** Is `id` among the visible vectors (query at its own vector, all hits)? */
  async function oursSees(path: string, id: number, v: Float32Array): Promise<boolean> {
    const s = await RvfStore.open(path, { readOnly: true });
    try {
      return (await s.query(v, 100_000)).some((h) => h.id === id);
    } finally {
      await s.close();
    }
  }
  const refSees = (path: string, id: number, v: Float32Array) =>
    withReference(path, (ref) => refQuery(ref, v, 100_000).some((h) => h.id === id));

  it.each(cases)('$metric, dimension $dim', async ({ metric, dim, seed }) => {
    const rand = rng(seed);
    const path = fresh(`ref-${metric}-`);
    const db = RvfDatabase.create(path, { dimension: dim, metric, profile: 1 });
    const flatMeta = (ids: number[]) =>
      ids.flatMap((id) => [
        { fieldId: 0, valueType: 'string', value: ['x', 'y', 'z'][id % 3]! },
        { fieldId: 1, valueType: 'u64', value: String(id) },
      ]);
    const ids1 = [...Array(100).keys()];
    db.ingestBatch(randomVectors(100, dim, seed), ids1, flatMeta(ids1));
    const ids2 = pick(ids1, 20, rand).concat([...Array(30).keys()].map((i) => 100 + i));
    db.ingestBatch(randomVectors(ids2.length, dim, seed + 1), ids2, flatMeta(ids2));
    const doomed = pick(ids1, 15, rand).concat([4242]);
    expect(db.delete(doomed).deleted).toBe(15);
    const byFilter = db.deleteByFilter(
      JSON.stringify({ op: 'eq', fieldId: 0, valueType: 'string', value: 'z' }),
    );
    expect(byFilter.deleted).toBeGreaterThan(0);
    // Tombstones are sticky in the reference: a re-ingested deleted id stays hidden until compaction.
    db.ingestBatch(randomVectors(2, dim, seed + 2), doomed.slice(0, 2));
    expect(db.compact().segmentsCompacted).toBeGreaterThan(0);
    const ids3 = [...Array(20).keys()].map((i) => 200 + i);
    db.ingestBatch(randomVectors(20, dim, seed + 3), ids3, flatMeta(ids3));
    const late = ids3.slice(0, 5);
    db.delete(late);
    const sticky = late[0]!;
    const stickyVec = randomVectors(1, dim, seed + 4);
    db.ingestBatch(stickyVec, [sticky]);
    db.close();

    expect(await refSees(path, sticky, stickyVec)).toBe(false);
    expect(await oursSees(path, sticky, stickyVec)).toBe(false);
    const live = await expectWeReadAsReference(path, dim, seed + 10, `${metric}: reference file`);

    // Now we write to it: new ids with object metadata, revive the sticky id, delete a few.
    const ours = await RvfStore.open(path);
    const ids4 = [...Array(25).keys()].map((i) => 300 + i);
    await ours.ingestBatch(
      randomVectors(25, dim, seed + 5),
      ids4,
      ids4.map((id) => ({ category: CATEGORIES[id % 4]!, price: id })),
    );
    await ours.ingestBatch(stickyVec, [sticky]);
    const gone = [ids4[0]!, ids3[10]!, 4242];
    expect((await ours.delete(gone)).deleted).toBe(2);
    expect(ours.status().totalVectors).toBe(live + 25 + 1 - 2);
    // Our metadata is there for our own filters.
    expect((await ours.query(stickyVec, 100, { filter: F.eq('category', 'music') })).length).toBe(
      ids4.slice(1).filter((id) => id % 4 === 1).length,
    );
    await ours.close();

    expect(await oursSees(path, sticky, stickyVec)).toBe(true);
    expect(await refSees(path, sticky, stickyVec)).toBe(true);
    await expectWeReadAsReference(path, dim, seed + 20, `${metric}: reference file after our writes`);

    // And the reference can still write to it afterwards.
    const ref = RvfDatabase.open(path);
    expect(ref.ingestBatch(randomVectors(1, dim, seed + 6), [999]).accepted).toBe(1);
    ref.close();
    await expectWeReadAsReference(path, dim, seed + 30, `${metric}: after the reference wrote again`);
  });

  it("INCOMPATIBILITY: our compaction keeps the reference's compaction WITNESS, as the reference's compaction does", async () => {
    // The reference appends its compaction WITNESS after the new manifest, so no directory
    // lists it; its own next compaction keeps it anyway (forward scan, spec 9.3). Ours copies
    // only directory entries and trailing segments of unknown types, so the record is lost.
    const path = fresh('ref-witness-');
    const db = RvfDatabase.create(path, { dimension: 2, metric: 'l2' });
    db.ingestBatch(new Float32Array([1, 0, 0, 1, 1, 1]), [1, 2, 3]);
    db.delete([2]);
    db.compact();
    db.close();
    // Every WITNESS segment in the file, listed or not, decoded (a text search over the raw
    // bytes would run on into the witness's hash whenever its first byte is a digit).
    const actions = async () => {
      const bytes = new Uint8Array(readFileSync(path));
      const out: string[] = [];
      for await (const item of walkSegments(bytesSource(bytes))) {
        if (item.kind !== 'segment' || item.header.segType !== SegmentType.Witness) continue;
        const at = item.offset + SEGMENT_HEADER_SIZE;
        const { action } = decodeWitnessPayload(bytes.subarray(at, at + item.header.payloadLength));
        if (action.startsWith('compact:')) out.push(action);
      }
      return out;
    };
    expect(await actions()).toEqual(['compact:segments_compacted=1,bytes_reclaimed=8,epoch=3']);

    const ours = await RvfStore.open(path);
    await ours.delete([3]);
    await ours.compact();
    await ours.close();
    expect(await actions(), 'both compactions are on record').toEqual([
      'compact:segments_compacted=1,bytes_reclaimed=8,epoch=3',
      'compact:segments_compacted=1,bytes_reclaimed=8,epoch=5',
    ]);
  });
});

// ---------------------------------------------------------------------------------------

describe('4. the writer lock is shared with the reference', () => {
  async function lockHeldBy(p: Promise<unknown>): Promise<RvfError> {
    let err: unknown;
    try {
      await p;
    } catch (e) {
      err = e;
    }
    expect(err, 'expected RvfStore.open to reject').toBeInstanceOf(RvfError);
    return err as RvfError;
  }

  it('our writer blocks the reference writer, and the other way round', async () => {
    const path = fresh('lock-');
    const ours = await RvfStore.create(path, { dimension: 3 });
    await ours.ingestBatch([[1, 2, 3]], [1]);
    expect(() => RvfDatabase.open(path)).toThrow(/0x0300.*LockHeld/);
    // Readers on either side are not blocked.
    withReference(path, (ref) => expect(ref.status().totalVectors).toBe(1));
    await ours.close();
    expect(existsSync(`${path}.lock`)).toBe(false);

    const ref = RvfDatabase.open(path);
    expect(existsSync(`${path}.lock`)).toBe(true);
    const err = await lockHeldBy(RvfStore.open(path));
    expect(err.code).toBe(ErrorCode.LockHeld);
    expect(err.code).toBe(0x0300);
    expect(err.message).toMatch(new RegExp(`pid ${process.pid}\\b`));
    expect(err.details.pid).toBe(process.pid);
    const reader = await RvfStore.open(path, { readOnly: true });
    expect(reader.status().totalVectors).toBe(1);
    await reader.close();
    ref.ingestBatch(new Float32Array([4, 5, 6]), [2]);
    ref.close();
    expect(existsSync(`${path}.lock`)).toBe(false);

    const again = await RvfStore.open(path);
    expect((await again.query([4, 5, 6], 2)).map((h) => h.id)).toEqual([2, 1]);
    await again.close();
  });

  it('a store the reference is creating is locked against us from the start', async () => {
    const path = fresh('lock-create-');
    const ref = RvfDatabase.create(path, { dimension: 2, metric: 'cosine' });
    try {
      const err = await lockHeldBy(RvfStore.open(path));
      expect(err.code).toBe(ErrorCode.LockHeld);
      expect(err.message).toMatch(new RegExp(`pid ${process.pid}\\b`));
    } finally {
      ref.close();
    }
    await (await RvfStore.open(path)).close();
  });
});

// ---------------------------------------------------------------------------------------

describe('5. INDEX_SEG written by the reference (>= 1024 vectors)', () => {
  /** Builds a store with us, then lets the reference open it, query (builds HNSW) and close (persists it). */
  async function withReferenceIndex(dim: number, count: number, seed: number) {
    const path = fresh('index-');
    const model = new Model(dim, 'l2');
    const ids = [...Array(count).keys()].map((i) => i * 2);
    const vecs = randomVectors(count, dim, seed);
    const store = await RvfStore.create(path, { dimension: dim, metric: 'l2' });
    await store.ingestBatch(vecs, ids);
    await store.close();
    model.ingest(vecs, ids);

    const ref = RvfDatabase.open(path);
    expect(refQuery(ref, model.vectorOf(10), 1)[0]!.id).toBe(10);
    ref.close();
    const segs = withReference(path, (r) => r.segments());
    expect(segs.map((s) => s.segType)).toContain('index');
    return { path, model };
  }

  it('we read a file with a reference INDEX_SEG exactly, write to it, and the reference reads it back', async () => {
    const dim = 8;
    const { path, model } = await withReferenceIndex(dim, 1100, 51);
    await expectReferenceAgrees(path, model, 'with the reference index', 52);
    const index = withReference(path, (r) => r.segments().find((s) => s.segType === 'index')!);

    const store = await RvfStore.open(path);
    expect(store.segments().find((s) => s.segType === 'index')).toEqual(index);
    // New ids, some exactly at query points, and deletes.
    const qs = queries(20, dim, 53);
    const newIds = [...Array(30).keys()].map((i) => 10_000 + i);
    const newVecs = new Float32Array(30 * dim);
    for (const [i, q] of qs.slice(0, 10).entries()) newVecs.set(q, i * dim);
    newVecs.set(randomVectors(20, dim, 54), 10 * dim);
    await store.ingestBatch(newVecs, newIds);
    model.ingest(newVecs, newIds);
    const doomed = pick(model.liveIds(), 12, rng(55));
    await store.delete(doomed);
    model.delete(doomed);
    await store.close();

    await expectReferenceAgrees(path, model, 'after our writes', 56);
    withReference(path, (ref) => {
      expect(ref.indexStats().indexedVectors).toBe(model.liveCount);
      for (const [i, q] of qs.entries()) {
        const got = refQuery(ref, q, 10);
        expectSameHits(got, model.search(q, 10), `reference (HNSW) query ${i}`);
        if (i < 10) expect(got[0]).toEqual({ id: newIds[i], distance: 0 });
      }
    });
  });

  it('INCOMPATIBILITY: after we replace vectors of indexed ids, the reference must not answer from its stale INDEX_SEG', async () => {
    // The reference validates a persisted INDEX_SEG only by its id set. When we re-ingest
    // existing ids with new vectors the id set is unchanged, our next manifest still lists
    // the old INDEX_SEG, and the reference walks a graph built for the old positions.
    const dim = 32;
    const { path, model } = await withReferenceIndex(dim, 1100, 61);
    const store = await RvfStore.open(path);
    const ids = model.liveIds();
    const vecs = randomVectors(ids.length, dim, 62);
    await store.ingestBatch(vecs, ids);
    model.ingest(vecs, ids);
    await store.close();

    const qs = queries(100, dim, 63);
    const wrongAnswers = (file: string) =>
      withReference(file, (ref) =>
        qs.flatMap((q, i) => {
          const got = refQuery(ref, q, 10).map((h) => h.id);
          return got.join() ===
            model
              .search(q, 10)
              .map((h) => h.id)
              .join()
            ? []
            : [i];
        }),
      );

    // Control: the same final vectors in a fresh file, indexed by the reference itself, are
    // answered exactly, so any difference below comes from the stale graph, not from HNSW.
    const control = fresh('index-control-');
    const c = await RvfStore.create(control, { dimension: dim, metric: 'l2' });
    await c.ingestBatch(vecs, ids);
    await c.close();
    const cref = RvfDatabase.open(control);
    refQuery(cref, vecs.subarray(0, dim), 1);
    cref.close();
    expect(withReference(control, (r) => r.segments().some((s) => s.segType === 'index'))).toBe(true);
    expect(wrongAnswers(control), 'control: a fresh reference index answers exactly').toEqual([]);

    const wrong = wrongAnswers(path);
    expect(wrong, `reference answers differ from the exact k-NN on ${wrong.length}/100 queries`).toEqual([]);
  });
});
