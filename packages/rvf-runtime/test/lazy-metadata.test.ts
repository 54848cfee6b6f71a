/**
 * Metadata after a reopen is decoded on first use (a copy-on-write column), and version-3
 * metadata segments are trusted without hashing when the id's vector still comes from
 * their companion VEC segment. None of that may change what a reader sees: every test here
 * compares with a plain model of what was ingested (id → vector, metadata object) and with
 * brute force over that model.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RvfError, SegmentType } from '@rvfjs/types';
import {
  contentHash,
  encodeManifestPayload,
  encodeMetadataPayload,
  encodeSegment,
  encodeVecPayload,
  type MetadataCompanion,
} from '@rvfjs/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { F, type FilterInput, type IdKey, type MetaScalar, RvfStore } from '../src/index.js';
import { appendCommit, randomVectors, tempDir } from './helpers.js';

const work = tempDir('rvfjs-lazy-meta-');
afterAll(() => work.cleanup());
let n = 0;
const fresh = (name = 's') => join(work.dir, `${name}${n++}.rvf`);

const DIM = 6;
type Meta = Record<string, MetaScalar>;
interface Entry {
  vec: Float32Array;
  meta: Meta | undefined;
}
type Model = Map<IdKey, Entry>;

const COLORS = ['red', 'green', 'blue'];
/** Every value kind the object form has: string (with non-ASCII), i64, f64, u64 beyond 2^53. */
function metaFor(i: number): Meta | undefined {
  if (i % 7 === 0) return undefined; // some vectors carry no metadata at all
  return {
    color: COLORS[i % 3]!,
    price: i,
    weight: i + 0.25,
    serial: (1n << 63n) + BigInt(i),
    name: `näme-${i}-😀`,
  };
}

const ID_COUNT = 240;
/** Ids: mostly small numbers, plus bigints beyond 2^53 (which must keep their metadata too). */
const bigIdAt = (i: number): IdKey => (i < 230 ? i * 3 + 1 : (1n << 60n) + BigInt(i));
const idAt = bigIdAt;
/** For branch parents: a branch's membership bitmap only takes ids below 2^28. */
const smallIdAt = (i: number): IdKey => i * 3 + 1;

/**
 * A store written in several commits: two ingests, a re-ingest that changes the vector and
 * metadata of every tenth id, and a re-ingest without metadata that clears it for others.
 */
async function buildStore(path: string, idAt = bigIdAt): Promise<Model> {
  const model: Model = new Map();
  const vecs = randomVectors(ID_COUNT, DIM, 21);
  const s = await RvfStore.create(path, { dimension: DIM });
  for (const [lo, hi] of [
    [0, 100],
    [100, ID_COUNT],
  ] as const) {
    const ids: IdKey[] = [];
    const metas: (Meta | null)[] = [];
    for (let i = lo; i < hi; i++) {
      ids.push(idAt(i));
      metas.push(metaFor(i) ?? null);
      model.set(idAt(i), { vec: vecs.slice(i * DIM, (i + 1) * DIM), meta: metaFor(i) });
    }
    await s.ingestBatch(vecs.subarray(lo * DIM, hi * DIM), ids, metas);
  }
  const changed = [...Array(ID_COUNT).keys()].filter((i) => i % 10 === 5);
  const newVecs = randomVectors(changed.length, DIM, 22);
  const newMeta = changed.map((i) => ({ color: 'violet', price: 1000 + i }));
  await s.ingestBatch(newVecs, changed.map(idAt), newMeta);
  changed.forEach((i, k) => {
    model.set(idAt(i), { vec: newVecs.slice(k * DIM, (k + 1) * DIM), meta: newMeta[k] });
  });
  const cleared = [...Array(ID_COUNT).keys()].filter((i) => i % 10 === 6);
  const clearVecs = randomVectors(cleared.length, DIM, 23);
  await s.ingestBatch(clearVecs, cleared.map(idAt)); // no metadata: replaces (clears) it
  cleared.forEach((i, k) => {
    model.set(idAt(i), { vec: clearVecs.slice(k * DIM, (k + 1) * DIM), meta: undefined });
  });
  await s.close();
  return model;
}

const cmpId = (a: IdKey, b: IdKey) => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Squared L2 in float64 over the model, ties broken by id. */
function brute(
  model: Model,
  q: ArrayLike<number>,
  k: number,
  keep: (m: Meta | undefined) => boolean = () => true,
) {
  const out: { id: IdKey; distance: number }[] = [];
  for (const [id, { vec, meta }] of model) {
    if (!keep(meta)) continue;
    let d = 0;
    for (let i = 0; i < DIM; i++) d += (vec[i]! - q[i]!) ** 2;
    out.push({ id, distance: d });
  }
  out.sort((a, b) => a.distance - b.distance || cmpId(a.id, b.id));
  return out.slice(0, k);
}

function expectSame(got: { id: IdKey; distance: number }[], want: { id: IdKey; distance: number }[]) {
  expect(got.map((r) => r.id)).toEqual(want.map((r) => r.id));
  got.forEach((r, i) => {
    expect(Math.abs(r.distance - want[i]!.distance)).toBeLessThanOrEqual(
      1e-5 * Math.max(1, want[i]!.distance),
    );
  });
}

/** The store's private table, only to observe that metadata really stays undecoded. */
const metadataPending = (s: RvfStore) =>
  (s as unknown as { table: { metadata: { pending: boolean } } }).table.metadata.pending;

/** Filters with their meaning over a model entry, for brute force. */
const FILTERS: [string, FilterInput, (m: Meta | undefined) => boolean][] = [
  ['color = red', F.eq('color', 'red'), (m) => m?.color === 'red'],
  ['color = violet (re-ingested)', F.eq('color', 'violet'), (m) => m?.color === 'violet'],
  [
    'red and 20 ≤ price < 500',
    F.and(F.eq('color', 'red'), F.range('price', 20, 500)),
    (m) => m?.color === 'red' && (m.price as number) >= 20 && (m.price as number) < 500,
  ],
  [
    'serial ≥ 2^63 + 200 (u64 beyond 2^53)',
    F.ge('serial', (1n << 63n) + 200n),
    (m) => m?.serial !== undefined && (m.serial as bigint) >= (1n << 63n) + 200n,
  ],
  [
    'weight < 30.25 (f64)',
    F.lt('weight', 30.25),
    (m) => m?.weight !== undefined && (m.weight as number) < 30.25,
  ],
  ['not color = blue (includes no-metadata)', F.not(F.eq('color', 'blue')), (m) => m?.color !== 'blue'],
  [
    'name in (…)',
    F.in('name', ['näme-1-😀', 'näme-232-😀']),
    (m) => m?.name === 'näme-1-😀' || m?.name === 'näme-232-😀',
  ],
];

describe('metadata after reopen (decoded lazily)', () => {
  it('(a) results carry the ingested metadata, read on demand; filtered queries equal brute force', async () => {
    const path = fresh();
    const model = await buildStore(path);
    const s = await RvfStore.open(path, { readOnly: true });
    expect(metadataPending(s)).toBe(true);
    const q = randomVectors(1, DIM, 5);
    const all = await s.query(q, ID_COUNT);
    expectSame(all, brute(model, q, ID_COUNT));
    // An unfiltered query does not decode metadata; reading a result's metadata does.
    expect(metadataPending(s)).toBe(true);
    for (const r of all) expect(r.metadata, `metadata of ${String(r.id)}`).toEqual(model.get(r.id)!.meta);
    expect(metadataPending(s)).toBe(false);
    for (const [label, filter, keep] of FILTERS) {
      const want = brute(model, q, ID_COUNT, keep);
      expect(want.length, `${label}: a filter that selects something`).toBeGreaterThan(0);
      const got = await s.query(q, ID_COUNT, { filter });
      expectSame(got, want);
      for (const r of got) expect(r.metadata).toEqual(model.get(r.id)!.meta);
    }
    await s.close();
  });

  it('(a) a filtered query as the very first read after open', async () => {
    const path = fresh();
    const model = await buildStore(path);
    for (const [label, filter, keep] of FILTERS) {
      const s = await RvfStore.open(path, { readOnly: true });
      const q = randomVectors(1, DIM, label.length);
      expectSame(await s.query(q, 25, { filter }), brute(model, q, 25, keep));
      await s.close();
    }
  });

  it('(a) includeMetadata: false leaves results without metadata', async () => {
    const path = fresh();
    await buildStore(path);
    const s = await RvfStore.open(path, { readOnly: true });
    const res = await s.query(randomVectors(1, DIM, 1), 10, { includeMetadata: false });
    for (const r of res) expect(r.metadata).toBeUndefined();
    await s.close();
  });

  it('(b) results taken before an ingest keep the old metadata; a new query shows the new', async () => {
    for (const decodedFirst of [false, true]) {
      const path = fresh();
      const model = await buildStore(path);
      const s = await RvfStore.open(path);
      if (decodedFirst) s.get(idAt(1)); // metadata already decoded when the query runs
      expect(metadataPending(s)).toBe(!decodedFirst);
      const x = idAt(2); // has metadata (2 % 7, 2 % 10 are not special)
      const y = idAt(3);
      const old = model.get(x)!;
      const before = await s.query(old.vec, ID_COUNT);
      expect(before[0]!.id).toBe(x);
      // Change x's vector and metadata, clear y's, before reading any result's metadata.
      const xv = randomVectors(1, DIM, 77);
      await s.ingestBatch(xv, [x], [{ color: 'changed', price: -1 }]);
      await s.ingestBatch(randomVectors(1, DIM, 78), [y]);
      for (const r of before)
        expect(r.metadata, `snapshot of ${String(r.id)}`).toEqual(model.get(r.id)!.meta);
      const after = await s.query(old.vec, ID_COUNT);
      expect(after.find((r) => r.id === x)!.metadata).toEqual({ color: 'changed', price: -1 });
      expect(after.find((r) => r.id === y)!.metadata).toBeUndefined();
      expect(s.get(x)!.metadata).toEqual({ color: 'changed', price: -1 });
      expect(s.get(x)!.vector).toEqual(xv);
      expect((await s.query(old.vec, 5, { filter: F.eq('color', 'changed') })).map((r) => r.id)).toEqual([x]);
      await s.close();
    }
  });

  it('(c) re-ingesting ids with new metadata before any read, then reading, gives the new metadata', async () => {
    const path = fresh();
    const model = await buildStore(path);
    const s = await RvfStore.open(path);
    expect(metadataPending(s)).toBe(true);
    const targets = [idAt(4), idAt(5), idAt(6), idAt(7), idAt(235)]; // with, violet, cleared, none, bigint
    const vecs = randomVectors(targets.length, DIM, 31);
    const metas = targets.map((_, k) => ({ color: 'fresh', price: 5000 + k }));
    await s.ingestBatch(vecs, targets, metas);
    targets.forEach((id, k) => {
      model.set(id, { vec: vecs.slice(k * DIM, (k + 1) * DIM), meta: metas[k] });
    });
    // One id re-ingested without metadata: it loses what it had.
    await s.ingestBatch(randomVectors(1, DIM, 32), [idAt(8)]);
    model.set(idAt(8), { vec: s.get(idAt(8))!.vector, meta: undefined });
    const check = async (store: RvfStore) => {
      for (const [id, e] of model) expect(store.get(id)?.metadata, `get(${String(id)})`).toEqual(e.meta);
      const q = randomVectors(1, DIM, 33);
      expectSame(
        await store.query(q, ID_COUNT, { filter: F.eq('color', 'fresh') }),
        brute(model, q, ID_COUNT, (m) => m?.color === 'fresh'),
      );
    };
    await check(s);
    await s.close();
    const again = await RvfStore.open(path, { readOnly: true });
    await check(again);
    await again.close();
  });

  it('(d) get(id) after reopen returns the vector and metadata; no metadata key when there is none', async () => {
    const path = fresh();
    const model = await buildStore(path);
    const s = await RvfStore.open(path, { readOnly: true });
    for (const [id, e] of model) {
      const got = s.get(id)!;
      expect(got.vector).toEqual(e.vec);
      if (e.meta) expect(got.metadata).toEqual(e.meta);
      else expect('metadata' in got).toBe(false);
    }
    expect(s.get(0)).toBeUndefined(); // never ingested (ids are 3i + 1)
    await s.close();
  });
});

/** Turns of the event loop (each lets the store's background work take one step). */
async function idleTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('metadata decoded in the background after open', () => {
  it('finishes over several idle turns; results then carry plain metadata objects', async () => {
    const path = fresh();
    const model = await buildStore(path);
    const s = await RvfStore.open(path, { readOnly: true });
    const q = randomVectors(1, DIM, 9);
    expect(metadataPending(s)).toBe(true);
    let turns = 0;
    while (metadataPending(s) && turns < 200) {
      await idleTurns(1);
      turns++;
    }
    expect(metadataPending(s)).toBe(false);
    // Three metadata segments (two ingests and a re-ingest): decoded a piece per turn.
    expect(turns).toBeGreaterThan(3);
    const res = await s.query(q, ID_COUNT);
    expectSame(res, brute(model, q, ID_COUNT));
    for (const r of res) {
      // A data property, not the getter a pending column's results get.
      const d = Object.getOwnPropertyDescriptor(r, 'metadata');
      if (model.get(r.id)!.meta === undefined) expect(d).toBeUndefined();
      else {
        expect(d?.get).toBeUndefined();
        expect(r.metadata).toEqual(model.get(r.id)!.meta);
      }
    }
    await s.close();
  });

  it('one large metadata segment is decoded a few thousand records per turn, not in one go', async () => {
    const path = fresh('large');
    const n = 20_000;
    const s = await RvfStore.create(path, { dimension: 2 });
    const vecs = new Float32Array(n * 2).map((_, i) => (i % 97) / 97);
    const metas = Array.from({ length: n }, (_, i) => ({ k: i % 13, name: `n${i}` }));
    await s.ingestBatch(vecs, [...Array(n).keys()], metas);
    await s.close();
    const r = await RvfStore.open(path, { readOnly: true });
    let turns = 0;
    while (metadataPending(r) && turns < 500) {
      await idleTurns(1);
      turns++;
    }
    expect(metadataPending(r)).toBe(false);
    // 20,000 records at 4096 a slice: at least five.
    expect(turns).toBeGreaterThanOrEqual(5);
    for (const id of [0, 4095, 4096, 12_345, n - 1]) expect(r.get(id)?.metadata).toEqual(metas[id]);
    await r.close();
  });

  it('writes between background steps see, and keep, the right metadata', async () => {
    const path = fresh();
    const model = await buildStore(path);
    const s = await RvfStore.open(path);
    await idleTurns(3);
    // Part-way: decoding has started but not finished.
    expect(metadataPending(s)).toBe(true);
    const ids = [idAt(1), idAt(2), idAt(3), idAt(231)];
    const vecs = randomVectors(ids.length, DIM, 31);
    const metas: (Meta | null)[] = [{ color: 'amber' }, null, { color: 'amber', price: 7 }, null];
    await s.ingestBatch(vecs, ids, metas);
    ids.forEach((id, k) => {
      model.set(id, { vec: vecs.slice(k * DIM, (k + 1) * DIM), meta: metas[k] ?? undefined });
    });
    await idleTurns(50);
    const q = randomVectors(1, DIM, 10);
    const res = await s.query(q, ID_COUNT);
    expectSame(res, brute(model, q, ID_COUNT));
    for (const r of res) expect(r.metadata, `metadata of ${String(r.id)}`).toEqual(model.get(r.id)!.meta);
    await s.close();
    // …and the same after another reopen.
    const again = await RvfStore.open(path, { readOnly: true });
    const res2 = await again.query(q, ID_COUNT);
    expectSame(res2, brute(model, q, ID_COUNT));
    for (const r of res2) expect(r.metadata, `metadata of ${String(r.id)}`).toEqual(model.get(r.id)!.meta);
    await again.close();
  });
});

describe('(e) branches', () => {
  it('a child opened fresh filters on inherited metadata and its own edits override it', async () => {
    const parentPath = fresh('parent');
    const model = await buildStore(parentPath, smallIdAt);
    const parent = await RvfStore.open(parentPath);
    const childPath = fresh('child');
    const child = await parent.branch(childPath);
    const childModel: Model = new Map(model);
    // Own edits: inherited ids with new metadata, one with none, and ids new to the child.
    const edits: IdKey[] = [smallIdAt(1), smallIdAt(2), smallIdAt(10), smallIdAt(231), 9_000_001, 9_000_002];
    const editVecs = randomVectors(edits.length, DIM, 41);
    const editMeta: (Meta | null)[] = edits.map((_, k) =>
      k === 2 ? null : { color: k % 2 ? 'red' : 'child', price: 100 + k, serial: (1n << 63n) + 7n },
    );
    await child.ingestBatch(editVecs, edits, editMeta);
    edits.forEach((id, k) => {
      childModel.set(id, { vec: editVecs.slice(k * DIM, (k + 1) * DIM), meta: editMeta[k] ?? undefined });
    });
    await child.close();
    await parent.close();

    const c = await RvfStore.open(childPath, { readOnly: true });
    const filters: [FilterInput, (m: Meta | undefined) => boolean][] = [
      ...FILTERS.map(([, f, keep]) => [f, keep] as [FilterInput, (m: Meta | undefined) => boolean]),
      [F.eq('color', 'child'), (m) => m?.color === 'child'],
      [
        F.range('price', 100, 106),
        (m) => m?.price !== undefined && (m.price as number) >= 100 && (m.price as number) < 106,
      ],
    ];
    for (const [i, [filter, keep]] of filters.entries()) {
      const q = randomVectors(1, DIM, 50 + i);
      const got = await c.query(q, ID_COUNT + 10, { filter });
      expectSame(got, brute(childModel, q, ID_COUNT + 10, keep));
      for (const r of got) expect(r.metadata).toEqual(childModel.get(r.id)!.meta);
    }
    for (const [id, e] of childModel) expect(c.get(id)?.metadata, `child get(${String(id)})`).toEqual(e.meta);
    await c.close();

    // The parent still has its own metadata for the ids the child changed.
    const p = await RvfStore.open(parentPath, { readOnly: true });
    for (const id of edits) expect(p.get(id)?.metadata).toEqual(model.get(id)?.meta);
    await p.close();
  });

  it('a child branched from a freshly opened parent (metadata still undecoded) sees it too', async () => {
    const parentPath = fresh('parent');
    const model = await buildStore(parentPath, smallIdAt);
    const parent = await RvfStore.open(parentPath);
    expect(metadataPending(parent)).toBe(true);
    const child = await parent.branch(fresh('child'));
    // The child writes first, then both read: neither side's write shows in the other.
    await child.ingestBatch(randomVectors(1, DIM, 60), [smallIdAt(1)], [{ color: 'mine' }]);
    await parent.ingestBatch(randomVectors(1, DIM, 61), [smallIdAt(4)], [{ color: 'theirs' }]);
    expect(child.get(smallIdAt(1))!.metadata).toEqual({ color: 'mine' });
    expect(child.get(smallIdAt(4))!.metadata).toEqual(model.get(smallIdAt(4))!.meta);
    expect(parent.get(smallIdAt(1))!.metadata).toEqual(model.get(smallIdAt(1))!.meta);
    expect(parent.get(smallIdAt(4))!.metadata).toEqual({ color: 'theirs' });
    for (const [id, e] of model) {
      if (id === smallIdAt(1) || id === smallIdAt(4)) continue;
      expect(child.get(id)?.metadata).toEqual(e.meta);
    }
    await child.close();
    await parent.close();
  });
});

/** What a writer that knows nothing of RVFJS_METADATA writes to replace one vector. */
const foreignRewrite = (path: string, id: bigint, vector: Float32Array) =>
  appendCommit(path, [
    {
      segType: SegmentType.Vec,
      payload: encodeVecPayload({ dimension: DIM, ids: BigUint64Array.of(id), vectors: vector }),
    },
  ]);

describe('(f) a vector replaced by a writer that knows nothing of metadata', () => {
  it('loses its metadata after reopen; other ids keep theirs, through later commits and compaction', async () => {
    const path = fresh('foreign');
    const model = await buildStore(path);
    const x = 4; // idAt(1): has metadata from the first ingest
    const xId = idAt(1);
    expect(xId).toBe(x);
    expect(model.get(x)!.meta).toBeDefined();
    const xv = randomVectors(1, DIM, 90);
    await foreignRewrite(path, BigInt(x), xv);
    // Same vector, new segment: the fingerprint still matches, so the metadata stays.
    const yId = idAt(235);
    await foreignRewrite(path, yId as bigint, model.get(yId)!.vec);
    model.set(x, { vec: xv, meta: undefined });

    const check = async (s: RvfStore) => {
      for (const [id, e] of model) {
        const got = s.get(id)!;
        expect(got.vector, `vector of ${String(id)}`).toEqual(e.vec);
        expect(got.metadata, `metadata of ${String(id)}`).toEqual(e.meta);
      }
      const q = randomVectors(1, DIM, 91);
      for (const [, filter, keep] of FILTERS)
        expectSame(await s.query(q, ID_COUNT, { filter }), brute(model, q, ID_COUNT, keep));
    };
    const ro = await RvfStore.open(path, { readOnly: true });
    await check(ro);
    await ro.close();

    // Our next commit keeps the foreign segment listed: still the same view after reopen.
    const rw = await RvfStore.open(path);
    await rw.ingestBatch(randomVectors(1, DIM, 92), [123_456], [{ color: 'red', price: 1 }]);
    model.set(123_456, { vec: rw.get(123_456)!.vector, meta: { color: 'red', price: 1 } });
    await check(rw);
    await rw.close();
    const again = await RvfStore.open(path);
    await check(again);
    await again.compact();
    await check(again);
    await again.close();
    const compacted = await RvfStore.open(path, { readOnly: true });
    await check(compacted);
    await compacted.close();
  });
});

describe('companion trust, on hand-built files', () => {
  /**
   * VEC (segment 1: ids 5 and 6) ‖ RVFJS_METADATA v3 ‖ MANIFEST, written with the wire
   * encoders only. Each record carries a deliberately wrong fingerprint, so it can apply only
   * through its companion: the companion must name segment 1 by id and content hash.
   */
  async function handFile(companion: (vecPayload: Uint8Array) => MetadataCompanion | undefined) {
    const path = fresh('hand');
    const vecPayload = encodeVecPayload({
      dimension: DIM,
      ids: BigUint64Array.of(5n, 6n),
      vectors: randomVectors(2, DIM, 3),
    });
    const records = [5n, 6n].map((id) => ({
      id,
      fingerprint: 0,
      fields: [{ fieldId: 3, valueType: 'string' as const, value: `meta-${id}` }],
    }));
    const metaPayload = encodeMetadataPayload(records, companion(vecPayload));
    const vecSeg = encodeSegment(SegmentType.Vec, 1n, vecPayload);
    const metaSeg = encodeSegment(SegmentType.RvfjsMetadata, 2n, metaPayload);
    const directory = [
      { segId: 1n, offset: 0, payloadLength: vecPayload.length, segType: SegmentType.Vec },
      {
        segId: 2n,
        offset: vecSeg.length,
        payloadLength: metaPayload.length,
        segType: SegmentType.RvfjsMetadata,
      },
    ];
    const manifest = encodeManifestPayload({
      epoch: 1,
      dimension: DIM,
      totalVectors: 2n,
      profileId: 0,
      metricCode: 0,
      directory,
      deletedIds: [],
    });
    writeFileSync(path, Buffer.concat([vecSeg, metaSeg, encodeSegment(SegmentType.Manifest, 3n, manifest)]));
    const s = await RvfStore.open(path, { readOnly: true });
    const got = [5, 6].map((id) => s.get(id)!.metadata);
    await s.close();
    return got;
  }

  it('records apply through a companion that matches by segment id and content hash', async () => {
    expect(await handFile((p) => ({ segId: 1n, contentHash: contentHash(p) }))).toEqual([
      { 3: 'meta-5' },
      { 3: 'meta-6' },
    ]);
  });

  it('a companion with the right id but another content hash is not trusted (nor is a wrong fingerprint)', async () => {
    const other = (p: Uint8Array) => {
      const h = contentHash(p);
      h[0]! ^= 1;
      return { segId: 1n, contentHash: h };
    };
    expect(await handFile(other)).toEqual([undefined, undefined]);
  });

  it('a companion with the right hash but another segment id is not trusted', async () => {
    expect(await handFile((p) => ({ segId: 9n, contentHash: contentHash(p) }))).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('without a companion, a wrong fingerprint does not apply', async () => {
    expect(await handFile(() => undefined)).toEqual([undefined, undefined]);
  });
});

describe('a metadata segment that passes its hash check but does not decode', () => {
  /** A store whose last commit adds an RVFJS_METADATA segment of an unknown version (9). */
  async function withBadMetadata(): Promise<{ path: string; model: Model }> {
    const path = fresh('badmeta');
    const model = await buildStore(path);
    const payload = new Uint8Array(8 + 24);
    payload[0] = 9;
    await appendCommit(path, [{ segType: SegmentType.RvfjsMetadata, payload }]);
    return { path, model };
  }

  it('the background decoding fails quietly; the first read still reports it', async () => {
    const { path } = await withBadMetadata();
    const s = await RvfStore.open(path, { readOnly: true });
    await idleTurns(50);
    expect(metadataPending(s)).toBe(true);
    const err = await s.query(randomVectors(1, DIM, 7), 5, { filter: F.eq('color', 'red') }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(RvfError);
    expect((err as RvfError).code).toBe(ErrorCode.InvalidChecksum);
    await s.close();
  });

  it('a normal open fails on the first metadata read with InvalidChecksum, and again on the next', async () => {
    const { path, model } = await withBadMetadata();
    const s = await RvfStore.open(path, { readOnly: true });
    const q = randomVectors(1, DIM, 7);
    // Vectors alone do not need metadata.
    expectSame(await s.query(q, 5, { includeMetadata: false }), brute(model, q, 5));
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await s.query(q, 5, { filter: F.eq('color', 'red') }).then(
        () => undefined,
        (e) => e,
      );
      expect(err, `attempt ${attempt}: never an empty answer`).toBeInstanceOf(RvfError);
      expect((err as RvfError).code).toBe(ErrorCode.InvalidChecksum);
      expect(() => s.get(idAt(1))).toThrow(RvfError);
    }
    await s.close();
  });

  it('a recovery open keeps the metadata of intact segments and reports the bad one', async () => {
    const { path, model } = await withBadMetadata();
    const s = await RvfStore.open(path, { readOnly: true, recover: true });
    const listed = () => s.status().damagedSegments.filter((d) => d.segType === SegmentType.RvfjsMetadata);
    for (const [id, e] of model) expect(s.get(id)?.metadata).toEqual(e.meta);
    expect(listed().length).toBe(1);
    expect(listed()[0]!.message).toMatch(/version 9/);
    await s.close();
  });

  it('a recovery open reports the bad metadata segment in status() right after open', async () => {
    // status() documents the segments a recovery open skipped; it should not depend on
    // whether some query has happened to read metadata yet.
    const { path } = await withBadMetadata();
    const s = await RvfStore.open(path, { readOnly: true, recover: true });
    const listed = s.status().damagedSegments.filter((d) => d.segType === SegmentType.RvfjsMetadata);
    expect(listed.length).toBe(1);
    await s.close();
  });
});

describe('(g) a fresh Node process', () => {
  it('a read-only open of the dist build answers the first query as brute force, metadata included', async () => {
    const path = fresh('proc');
    const model = await buildStore(path);
    const q = Array.from(randomVectors(1, DIM, 100));
    const script = `
      import { RvfStore } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const s = await RvfStore.open(${JSON.stringify(path)}, { readOnly: true });
      const q = ${JSON.stringify(q)};
      const plain = await s.query(q, 12);
      const filtered = await s.query(q, 12, { filter: { op: 'eq', field: 'color', value: 'green' } });
      const show = (r) => ({ id: String(r.id), distance: r.distance, metadata: r.metadata });
      console.log(JSON.stringify({ plain: plain.map(show), filtered: filtered.map(show) },
        (_, v) => (typeof v === 'bigint' ? 'big:' + v : v)));
      await s.close();`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ) as Record<'plain' | 'filtered', { id: string; distance: number; metadata?: Record<string, unknown> }[]>;
    const revive = (m: Meta | undefined) =>
      m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'bigint' ? `big:${v}` : v]));
    for (const [got, want] of [
      [out.plain, brute(model, q, 12)],
      [out.filtered, brute(model, q, 12, (m) => m?.color === 'green')],
    ] as const) {
      expect(got.map((r) => r.id)).toEqual(want.map((w) => String(w.id)));
      got.forEach((r, i) => {
        expect(Math.abs(r.distance - want[i]!.distance)).toBeLessThanOrEqual(1e-5);
        expect(r.metadata).toEqual(revive(model.get(want[i]!.id)!.meta));
      });
    }
  });
});
