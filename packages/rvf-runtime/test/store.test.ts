import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, describe, expect, it } from 'vitest';
import { F, RvfStore } from '../src/index.js';
import { bruteForce, expectSameResults, randomVectors, rng, tempDir } from './helpers.js';

const work = tempDir();
afterAll(() => work.cleanup());
let n = 0;
const fresh = () => join(work.dir, `s${n++}.rvf`);

async function expectRvfError(p: Promise<unknown> | (() => unknown), code: number, pattern?: RegExp) {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an RvfError').toBeInstanceOf(RvfError);
  expect((err as RvfError).code).toBe(code);
  if (pattern) expect((err as RvfError).message).toMatch(pattern);
  return err as RvfError;
}

describe('create, ingest, query', () => {
  it.each(['l2', 'inner_product', 'cosine'] as const)('matches brute force exactly (%s)', async (metric) => {
    const path = fresh();
    const dim = 16;
    const vecs = randomVectors(500, dim, 7);
    const ids = [...Array(500).keys()].map((i) => i * 3 + 1);
    const store = await RvfStore.create(path, { dimension: dim, metric });
    const r = await store.ingestBatch(vecs, ids);
    expect(r).toEqual({ accepted: 500, rejected: 0, epoch: 1 });
    const queries = randomVectors(20, dim, 99);
    for (let qi = 0; qi < 20; qi++) {
      const q = queries.subarray(qi * dim, (qi + 1) * dim);
      expectSameResults(await store.query(q, 10), bruteForce(vecs, ids, dim, metric, q, 10), expect);
    }
    await store.close();
  });

  it('accepts number[][], Float32Array[] and flat input, and bigint ids beyond 2^53', async () => {
    const store = await RvfStore.create(fresh(), { dimension: 2 });
    await store.ingestBatch([[1, 0]], [1]);
    await store.ingestBatch([new Float32Array([2, 0])], [2n]);
    const big = (1n << 64n) - 1n;
    await store.ingestBatch(new Float32Array([3, 0]), [big]);
    const res = await store.query([3, 0], 3);
    expect(res.map((r) => r.id)).toEqual([big, 2, 1]);
    await store.close();
  });

  it('k larger than the store returns everything; results ascend', async () => {
    const store = await RvfStore.create(fresh(), { dimension: 1 });
    await store.ingestBatch([[5], [1], [3]], [1, 2, 3]);
    expect((await store.query([0], 100)).map((r) => r.id)).toEqual([2, 3, 1]);
    await store.close();
  });
});

describe('bad input is refused before anything is written', () => {
  it('rejects wrong dimensions, NaN, Infinity, bad ids, count mismatches, bad k', async () => {
    const path = fresh();
    const store = await RvfStore.create(path, { dimension: 3 });
    await store.ingestBatch([[1, 2, 3]], [1]);
    const size = statSync(path).size;
    await expectRvfError(store.ingestBatch([[1, 2]], [2]), ErrorCode.DimensionMismatch, /2 components/);
    await expectRvfError(store.ingestBatch([[1, Number.NaN, 3]], [2]), ErrorCode.DimensionMismatch, /NaN/);
    await expectRvfError(
      store.ingestBatch([[1, Number.POSITIVE_INFINITY, 3]], [2]),
      ErrorCode.DimensionMismatch,
      /Infinity/,
    );
    await expectRvfError(store.ingestBatch([[1, 2, 3]], [-1]), ErrorCode.InvalidId, /u64/);
    await expectRvfError(store.ingestBatch([[1, 2, 3]], [2 ** 60]), ErrorCode.InvalidId, /safe/);
    await expectRvfError(store.ingestBatch([[1, 2, 3]], [1n << 64n]), ErrorCode.InvalidId, /u64 range/);
    await expectRvfError(
      store.ingestBatch([[1, 2, 3]], [1, 2]),
      ErrorCode.DimensionMismatch,
      /1 vectors but 2 ids/,
    );
    await expectRvfError(
      store.ingestBatch([[1, 2, 3]], [2], [{ a: 1 }, { a: 2 }]),
      ErrorCode.InvalidMetadata,
      /2 metadata objects for 1 vectors/,
    );
    await expectRvfError(
      store.query([1, 2, 3], 0),
      ErrorCode.InvalidArgument,
      /k must be a positive integer, got 0/,
    );
    await expectRvfError(store.query([1, 2], 1), ErrorCode.DimensionMismatch);
    await expectRvfError(
      store.query([1, 2, 3], 1, { plan: 'fast' as never }),
      ErrorCode.InvalidArgument,
      /plan/,
    );
    await expectRvfError(store.query([1, 2, 3], 1, { efSearch: 0 }), ErrorCode.InvalidArgument, /efSearch/);
    expect(statSync(path).size).toBe(size);
    expect(store.status().currentEpoch).toBe(1);
    await store.close();
  });

  it('skipInvalid drops bad rows and counts them', async () => {
    const store = await RvfStore.create(fresh(), { dimension: 2 });
    const r = await store.ingestBatch([[1, 1], [1], [Number.NaN, 1], [2, 2]], [1, 2, 3, 4], undefined, {
      skipInvalid: true,
    });
    expect(r).toEqual({ accepted: 2, rejected: 2, epoch: 1 });
    expect((await store.query([0, 0], 10)).map((x) => x.id)).toEqual([1, 4]);
    await store.close();
  });

  it('a flat Float32Array: a non-finite value names its row, skipInvalid drops just that row, the input is copied', async () => {
    const store = await RvfStore.create(fresh(), { dimension: 2 });
    const flat = new Float32Array([1, 1, 2, 2, 3, Number.NEGATIVE_INFINITY, 4, 4]);
    await expectRvfError(
      store.ingestBatch(flat, [1, 2, 3, 4]),
      ErrorCode.DimensionMismatch,
      /vector 2.*-Infinity/,
    );
    expect(store.epoch).toBe(0);
    flat[3] = Number.NaN;
    const r = await store.ingestBatch(flat, [1, 2, 3, 4], undefined, { skipInvalid: true });
    expect(r).toEqual({ accepted: 2, rejected: 2, epoch: 1 });
    expect((await store.query([0, 0], 10)).map((x) => x.id)).toEqual([1, 4]);
    // A clean buffer takes the one-copy path; changing it afterwards changes nothing stored.
    const clean = new Float32Array([5, 5, 6, 6]);
    await store.ingestBatch(clean, [5, 6]);
    clean.fill(0);
    expect(Array.from(store.get(5)!.vector)).toEqual([5, 5]);
    expect(Array.from(store.get(6)!.vector)).toEqual([6, 6]);
    await store.close();
  });

  it('create on an existing path says it exists; a non-RVF file says so; dimension 0 is refused', async () => {
    const path = fresh();
    await (await RvfStore.create(path, { dimension: 2 })).close();
    await expectRvfError(RvfStore.create(path, { dimension: 2 }), ErrorCode.PathExists, /already exists/);
    const junk = fresh();
    writeFileSync(junk, 'hello, this is not a vector store at all'.repeat(10));
    await expectRvfError(RvfStore.open(junk), ErrorCode.ManifestNotFound, /not an RVF file/);
    await expectRvfError(RvfStore.open(fresh()), ErrorCode.ManifestNotFound, /does not exist/);
    await expectRvfError(RvfStore.create(fresh(), { dimension: 0 }), ErrorCode.InvalidArgument, /dimension/);
  });

  it('each condition has the code that names it (the error-code policy in @rvfjs/types)', async () => {
    const path = fresh();
    const s = await RvfStore.create(path, { dimension: 2 });
    await s.ingestBatch([[1, 2]], [1]);
    await expectRvfError(RvfStore.create(path, { dimension: 2 }), ErrorCode.PathExists, /already exists/);
    await expectRvfError(
      RvfStore.create(fresh(), { dimension: 2, m: 0 }),
      ErrorCode.InvalidArgument,
      /\bm\b.*got 0/,
    );
    await expectRvfError(
      RvfStore.create(fresh(), { dimension: 2, profile: 300 }),
      ErrorCode.InvalidArgument,
      /300/,
    );
    // hnswlib's own bounds on M, checked at create rather than at the first graph build.
    await expectRvfError(
      RvfStore.create(fresh(), { dimension: 2, m: 1 }),
      ErrorCode.InvalidArgument,
      /m must .* 2 to 10000, got 1/,
    );
    await expectRvfError(
      RvfStore.create(fresh(), { dimension: 2, m: 20_000 }),
      ErrorCode.InvalidArgument,
      /20000/,
    );
    await expectRvfError(s.ingestBatch([[1, 2]], [3], [{ a: Number.NaN }]), ErrorCode.InvalidMetadata, /NaN/);
    await expectRvfError(RvfStore.open(path, { recover: true }), ErrorCode.InvalidArgument, /recover/);
    await expectRvfError(s.ingestBatch([[1, 2]], [1.5]), ErrorCode.InvalidId, /1\.5/);
    await expectRvfError(
      s.ingestBatch([[1, 2]], [3], ['x' as never]),
      ErrorCode.InvalidMetadata,
      /metadata\[0\]/,
    );
    // A folder that does not exist: the operating system refuses the file, which is no fsync.
    await expectRvfError(
      RvfStore.create(join(work.dir, 'no-such-folder', 'x.rvf'), { dimension: 2 }),
      ErrorCode.IoFailed,
      /no-such-folder/,
    );
    await s.close();
    await expectRvfError(s.query([1, 2], 1), ErrorCode.StoreClosed, /closed/);
    await expectRvfError(s.ingestBatch([[1, 2]], [2]), ErrorCode.StoreClosed, /closed/);
    const r = await RvfStore.open(path, { readOnly: true });
    await expectRvfError(r.ingestBatch([[1, 2]], [2]), ErrorCode.ReadOnly, /read-only/);
    await r.close();
  });
});

describe('metadata and filters', () => {
  const colors = ['red', 'green', 'blue'];
  async function build(path: string) {
    const store = await RvfStore.create(path, { dimension: 2 });
    const vecs: number[][] = [];
    const meta = [];
    for (let i = 0; i < 60; i++) {
      vecs.push([Math.cos(i), Math.sin(i)]);
      meta.push({ color: colors[i % 3]!, price: i, weight: i * 0.25 - 3 });
    }
    await store.ingestBatch(vecs, [...Array(60).keys()], meta);
    return { store, vecs };
  }

  it('result metadata is a fresh object each time, and follows re-ingest and new field names', async () => {
    const path = fresh();
    const { store } = await build(path);
    const q = [1, 0]; // id 0 is at (1, 0)
    const first = await store.query(q, 1);
    expect(first[0]).toMatchObject({ id: 0, metadata: { color: 'red', price: 0, weight: -3 } });
    // Changing what a query returned changes nothing the store answers next.
    first[0]!.metadata!.color = 'changed';
    delete first[0]!.metadata!.price;
    const got = store.get(0)!;
    got.metadata!.weight = 99;
    expect((await store.query(q, 1))[0]!.metadata).toEqual({ color: 'red', price: 0, weight: -3 });
    expect(store.get(0)!.metadata).toEqual({ color: 'red', price: 0, weight: -3 });
    // Re-ingest replaces the metadata, a new field name included.
    await store.ingestBatch([[1, 0]], [0], [{ color: 'teal', size: 2n ** 60n }]);
    expect((await store.query(q, 1))[0]!.metadata).toEqual({ color: 'teal', size: 2n ** 60n });
    expect(store.get(0)!.metadata).toEqual({ color: 'teal', size: 2n ** 60n });
    // A neighbour queried before the name was added answers as before.
    expect((await store.query([Math.cos(1), Math.sin(1)], 1))[0]!.metadata).toEqual({
      color: 'green',
      price: 1,
      weight: -2.75,
    });
    await store.close();
  });

  it('evaluates every operator like an independent predicate, and survives reopen in a new process', async () => {
    const path = fresh();
    const { store, vecs } = await build(path);
    const flat = new Float32Array(vecs.flat());
    const ids = [...Array(60).keys()];
    const cases: [unknown, (i: number) => boolean][] = [
      [F.eq('color', 'green'), (i) => i % 3 === 1],
      [F.ne('color', 'green'), (i) => i % 3 !== 1],
      [F.lt('price', 10), (i) => i < 10],
      [F.le('price', 10), (i) => i <= 10],
      [F.gt('weight', 5), (i) => i * 0.25 - 3 > 5],
      [F.ge('weight', 5), (i) => i * 0.25 - 3 >= 5],
      [F.in('color', ['red', 'blue']), (i) => i % 3 !== 1],
      [F.range('price', 10, 40), (i) => i >= 10 && i < 40],
      [F.and(F.eq('color', 'red'), F.gt('price', 30)), (i) => i % 3 === 0 && i > 30],
      [F.or(F.eq('color', 'red'), F.lt('price', 5)), (i) => i % 3 === 0 || i < 5],
      [F.not(F.eq('color', 'red')), (i) => i % 3 !== 0],
      [{ op: 'eq', field: 'nosuchfield', value: 1 }, () => false],
    ];
    const q = [0.3, 0.7];
    for (const [filter, pred] of cases) {
      const got = await store.query(q, 60, { filter: filter as never });
      const want = bruteForce(flat, ids, 2, 'l2', q, 60, (id) => pred(id));
      expectSameResults(got, want, expect);
    }
    await store.close();

    // A new process opens the file and runs the same filtered query.
    const script = `
      import { RvfStore } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const s = await RvfStore.open(${JSON.stringify(path)}, { readOnly: true });
      const r = await s.query([0.3, 0.7], 5, { filter: { op: 'range', field: 'price', low: 10, high: 40 } });
      console.log(JSON.stringify(r));
      await s.close();`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    );
    const want = bruteForce(flat, ids, 2, 'l2', q, 5, (i) => i >= 10 && i < 40);
    expect(out.map((r: { id: number }) => r.id)).toEqual(want.map((w) => w.id));
    expect(out[0].metadata.color).toBe(['red', 'green', 'blue'][out[0].id % 3]);
  });

  it('a new field name never takes an id that unnamed (flat-form) fields already use, also after reopen', async () => {
    const path = fresh();
    const store = await RvfStore.create(path, { dimension: 2 });
    await store.ingestBatch(
      [
        [1, 0],
        [0, 1],
      ],
      [1, 2],
      [
        { fieldId: 0, valueType: 'string', value: 'a' },
        { fieldId: 2, valueType: 'u64', value: '7' },
        { fieldId: 0, valueType: 'string', value: 'b' },
        { fieldId: 2, valueType: 'u64', value: '8' },
      ],
    );
    await store.ingestBatch([[1, 1]], [3], [{ color: 'red' }]);
    expect(store.fieldNames()).toEqual([{ fieldId: 1, name: 'color' }]);
    await store.close();
    // Reopened, metadata not decoded yet: the next new name must still skip ids 0 and 2.
    const again = await RvfStore.open(path);
    await again.ingestBatch([[2, 2]], [4], [{ size: 5 }]);
    expect(again.fieldNames()).toEqual([
      { fieldId: 1, name: 'color' },
      { fieldId: 3, name: 'size' },
    ]);
    expect(again.get(1)?.metadata).toEqual({ '0': 'a', '2': 7 });
    expect(again.get(3)?.metadata).toEqual({ color: 'red' });
    expect(again.get(4)?.metadata).toEqual({ size: 5 });
    await again.close();
  });

  it("takes the reference's flat form and JSON filters, with the same grouping", async () => {
    const store = await RvfStore.create(fresh(), { dimension: 3, metric: 'cosine' });
    const meta = [];
    for (let i = 0; i < 6; i++) {
      meta.push({ fieldId: 0, valueType: 'string' as const, value: colors[i % 3]! });
      meta.push({ fieldId: 1, valueType: 'u64' as const, value: String(i * 10) });
    }
    const V = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
      [1, 1, 1],
      [-1, 0, 0],
    ];
    await store.ingestBatch(V, [100, 101, 102, 103, 104, 105], meta);
    const res = await store.query([0, 0, 1], 6, {
      filter: JSON.stringify({ op: 'range', fieldId: 1, valueType: 'u64', low: '10', high: '40' }),
    });
    expect(new Set(res.map((r) => r.id))).toEqual(new Set([101, 102, 103]));
    await expectRvfError(
      store.query([0, 0, 1], 1, { filter: '{"op":"eq"' }),
      ErrorCode.FilterParseError,
      /JSON/,
    );
    await expectRvfError(
      store.query([0, 0, 1], 1, { filter: { op: 'xor' } as never }),
      ErrorCode.FilterParseError,
      /unknown op/,
    );
    await expectRvfError(
      store.query([0, 0, 1], 1, { filter: { op: 'eq', fieldId: 1, valueType: 'u64', value: 'abc' } }),
      ErrorCode.FilterParseError,
    );
    const d = await store.deleteByFilter({ op: 'eq', fieldId: 0, valueType: 'string', value: 'blue' });
    expect(d).toEqual({ deleted: 2, epoch: 2 });
    expect(
      await store.deleteByFilter({ op: 'eq', fieldId: 0, valueType: 'string', value: 'purple' }),
    ).toEqual({
      deleted: 0,
      epoch: 2,
    });
    await store.close();
  });
});

describe('delete, re-ingest, compaction', () => {
  it('re-ingesting a deleted id makes it visible again, also after reopen', async () => {
    const path = fresh();
    const store = await RvfStore.create(path, { dimension: 1 });
    await store.ingestBatch([[1], [2], [3]], [1, 2, 3]);
    expect(await store.delete([2, 42])).toEqual({ deleted: 1, epoch: 2 });
    expect((await store.query([2], 3)).map((r) => r.id)).toEqual([1, 3]);
    await store.ingestBatch([[2.5]], [2]);
    expect((await store.query([2.5], 1))[0]).toEqual({ id: 2, distance: 0 });
    await store.close();
    const again = await RvfStore.open(path, { readOnly: true });
    expect((await again.query([2.5], 3)).map((r) => r.id)).toEqual([2, 3, 1]);
    expect(again.status().totalVectors).toBe(3);
    await again.close();
  });

  it('compaction keeps live data and metadata, drops deleted vectors, and keeps unknown segments byte-for-byte', async () => {
    const path = fresh();
    const store = await RvfStore.create(path, { dimension: 2 });
    await store.ingestBatch(
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      [1, 2, 3, 4],
      [{ t: 'a' }, { t: 'b' }, { t: 'a' }, { t: 'b' }],
    );
    await store.delete([2]);
    await store.close();
    // A foreign segment type (0x7E) appended by another tool, then committed by a new manifest
    // written by us: emulate by appending a raw segment and reopening (it sits after the manifest).
    const { encodeSegment } = await import('@rvfjs/wire');
    const foreign = encodeSegment(0x7e, 999n, new TextEncoder().encode('opaque payload the store must keep'));
    appendFileSync(path, foreign);
    const s2 = await RvfStore.open(path);
    const before = s2.status();
    const reports: [number, number][] = [];
    const r = await s2.compact({ onProgress: (done, total) => reports.push([done, total]) });
    // Progress in bytes of the new file: from 0, never backwards, ending at the whole file.
    expect(reports[0]![0]).toBe(0);
    expect(reports.every(([d], i) => i === 0 || d >= reports[i - 1]![0])).toBe(true);
    expect(reports.at(-1)).toEqual([s2.status().fileSize, s2.status().fileSize]);
    expect(r).toEqual({ segmentsCompacted: 1, bytesReclaimed: 8, epoch: before.currentEpoch + 1 });
    expect((await s2.query([0, 0], 10, { filter: F.eq('t', 'a') })).map((x) => x.id)).toEqual([1, 3]);
    expect((await s2.query([0, 0], 10)).map((x) => x.id)).toEqual([1, 3, 4]);
    expect(s2.status().deadSpaceRatio).toBe(0);
    const w = await s2.verifyWitness();
    expect(w.valid).toBe(true);
    expect(w.chains).toBe(1); // one chain across ingest, delete and compaction
    expect(w.entries).toBe(3);
    await s2.close();
    const bytes = readFileSync(path);
    expect(bytes.includes(Buffer.from(foreign))).toBe(true);
  });
});

describe('persistence of state', () => {
  it('freeze is persisted: a reopened read-write handle refuses writes with SnapshotFrozen', async () => {
    const path = fresh();
    const store = await RvfStore.create(path, { dimension: 1 });
    await store.ingestBatch([[1]], [1]);
    expect(await store.freeze()).toBe(1);
    await expectRvfError(store.ingestBatch([[2]], [2]), ErrorCode.SnapshotFrozen);
    await store.close();
    const again = await RvfStore.open(path);
    expect(again.status().frozen).toBe(true);
    await expectRvfError(again.ingestBatch([[2]], [2]), ErrorCode.SnapshotFrozen, /frozen/);
    await expectRvfError(again.delete([1]), ErrorCode.SnapshotFrozen);
    await again.close();
  });

  it('the witness chain continues across reopen with SHAKE-256 links', async () => {
    const path = fresh();
    const a = await RvfStore.create(path, { dimension: 1 });
    await a.ingestBatch([[1]], [1]);
    await a.close();
    const b = await RvfStore.open(path);
    await b.ingestBatch([[2]], [2]);
    await b.delete([1]);
    const w = await b.verifyWitness();
    expect(w).toMatchObject({ valid: true, entries: 3, chains: 1, shake256Links: 2, legacyLinks: 0 });
    await b.close();
  });

  it('a tampered witness is reported as the first broken link', async () => {
    const path = fresh();
    const a = await RvfStore.create(path, { dimension: 1 });
    await a.ingestBatch([[1]], [1]);
    await a.ingestBatch([[2]], [2]);
    await a.ingestBatch([[3]], [3]);
    const segs = a.segments().filter((s) => s.segType === 'witness');
    await a.close();
    // Rewrite the second witness's action text and fix its CRC so only the chain can tell.
    const bytes = new Uint8Array(readFileSync(path));
    const w2 = segs[1]!;
    const p = bytes.subarray(w2.offset + 64, w2.offset + 64 + w2.payloadLength);
    p[13] = 'X'.charCodeAt(0);
    const { contentHash } = await import('@rvfjs/wire');
    bytes.set(contentHash(p), w2.offset + 0x28);
    writeFileSync(path, bytes);
    const b = await RvfStore.open(path, { readOnly: true });
    const report = await b.verifyWitness();
    expect(report.valid).toBe(false);
    expect(report.firstBroken?.index).toBe(2); // the third witness no longer links to the second
    await b.close();
  });
});

describe('damage and recovery', () => {
  it('a damaged latest manifest falls back to the previous one', async () => {
    const path = fresh();
    const s = await RvfStore.create(path, { dimension: 1 });
    await s.ingestBatch([[1]], [1]);
    await s.ingestBatch([[2]], [2]);
    await s.close();
    const bytes = new Uint8Array(readFileSync(path));
    bytes[bytes.length - 20]! ^= 0x10; // inside the last manifest's payload
    writeFileSync(path, bytes);
    const r = await RvfStore.open(path, { readOnly: true });
    expect(r.status().currentEpoch).toBe(1);
    expect((await r.query([0], 5)).map((x) => x.id)).toEqual([1]);
    await r.close();
  });

  it('a damaged data segment is reported with its offset; a recovery open serves the rest', async () => {
    const path = fresh();
    const s = await RvfStore.create(path, { dimension: 1 });
    await s.ingestBatch([[1]], [1]);
    await s.ingestBatch([[2]], [2]);
    const vec = s.segments().filter((x) => x.segType === 'vec')[0]!;
    await s.close();
    const bytes = new Uint8Array(readFileSync(path));
    bytes[vec.offset + 64 + 10]! ^= 1;
    writeFileSync(path, bytes);
    const err = await expectRvfError(
      RvfStore.open(path, { readOnly: true }),
      ErrorCode.InvalidChecksum,
      new RegExp(`offset ${vec.offset}`),
    );
    expect(err.offset).toBe(vec.offset);
    const r = await RvfStore.open(path, { readOnly: true, recover: true });
    expect((await r.query([0], 5)).map((x) => x.id)).toEqual([2]);
    expect(r.status().damagedSegments).toEqual([expect.objectContaining({ offset: vec.offset })]);
    await r.close();
  });
});

describe('writers and readers', () => {
  it('a second writer gets LockHeld naming the holder; readers are not blocked and refresh', async () => {
    const path = fresh();
    const w = await RvfStore.create(path, { dimension: 1 });
    await w.ingestBatch([[1]], [1]);
    await expectRvfError(RvfStore.open(path), ErrorCode.LockHeld, new RegExp(`pid ${process.pid}`));
    const r = await RvfStore.open(path, { readOnly: true });
    await expectRvfError(r.ingestBatch([[2]], [2]), ErrorCode.ReadOnly);
    await w.ingestBatch([[2]], [2]);
    expect((await r.query([0], 5)).length).toBe(1);
    expect(await r.refresh()).toBe(true);
    expect((await r.query([0], 5)).map((x) => x.id)).toEqual([1, 2]);
    await w.compact();
    expect(await r.refresh()).toBe(true);
    expect(r.status().currentEpoch).toBe(3);
    await r.close();
    await w.close();
    const again = await RvfStore.open(path);
    await again.close();
  });

  it('concurrent writes on one handle are serialised', async () => {
    const s = await RvfStore.create(fresh(), { dimension: 1 });
    const r = rng(3);
    const results = await Promise.all([...Array(20).keys()].map((i) => s.ingestBatch([[r()]], [i])));
    expect(results.map((x) => x.epoch).sort((a, b) => a - b)).toEqual(
      [...Array(20).keys()].map((i) => i + 1),
    );
    expect(s.status().totalVectors).toBe(20);
    await s.close();
  });
});
