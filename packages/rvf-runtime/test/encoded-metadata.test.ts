/**
 * Metadata is kept in its stored encoding (encoded-fields.ts, encoded-column.ts) and read in
 * place. Every answer here is checked against something independent of that code: the
 * wire's own encoder and decoder, the values that were written, `matches()` over decoded
 * values, and brute force over a plain model of the store.
 */
import { join } from 'node:path';
import { decodeMetadataPayload, encodeMetadataPayload, type MetaValue } from '@rvfjs/wire';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EncodedColumn } from '../src/encoded-column.js';
import { type Filter, type FilterInput, matches, parseFilter, RvfStore } from '../src/index.js';
import { FieldTable, type MetaScalar, metadataToObject } from '../src/metadata.js';
import { MetadataColumn } from '../src/metadata-column.js';
import { randomVectors, tempDir } from './helpers.js';

const work = tempDir('rvfjs-encoded-meta-');
afterAll(() => work.cleanup());
let files = 0;
const fresh = () => join(work.dir, `s${files++}.rvf`);

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Values at the edges of each type: where number/bigint forms and encodings change. */
const u64Arb = fc.oneof(
  fc.constantFrom(0n, 1n, SAFE - 1n, SAFE, SAFE + 1n, SAFE + 2n, 1n << 32n, (1n << 32n) - 1n, U64_MAX),
  fc.bigInt({ min: 0n, max: U64_MAX }),
);
const i64Arb = fc.oneof(
  fc.constantFrom(I64_MIN, -SAFE - 2n, -SAFE - 1n, -SAFE, -SAFE + 1n, -1n, 0n, SAFE, SAFE + 1n, -(1n << 32n)),
  fc.bigInt({ min: I64_MIN, max: -I64_MIN - 1n }),
);
const f64Arb = fc.oneof(
  fc.constantFrom(0, -0, 0.5, -1e-310, 1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64),
  fc.double({ noNaN: true }),
);
// Well-formed strings: empty, ASCII of every length around the short-string path, and
// anything Unicode (lone surrogates cannot survive UTF-8, in the file or here).
const stringArb = fc.oneof(
  fc.constantFrom('', 'a', 'näme', '😀', 'x'.repeat(24), 'y'.repeat(25), `${'z'.repeat(23)}é`),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 40 }),
);
const fieldArb: fc.Arbitrary<MetaValue> = fc.oneof(
  fc.record({
    fieldId: fc.integer({ min: 0, max: 5 }),
    valueType: fc.constant('u64' as const),
    value: u64Arb,
  }),
  fc.record({
    fieldId: fc.integer({ min: 0, max: 5 }),
    valueType: fc.constant('i64' as const),
    value: i64Arb,
  }),
  fc.record({
    fieldId: fc.integer({ min: 0, max: 5 }),
    valueType: fc.constant('f64' as const),
    value: f64Arb,
  }),
  fc.record({
    fieldId: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(0xffff)),
    valueType: fc.constant('string' as const),
    value: stringArb,
  }),
);
/** A vector's fields (a field id may repeat, as the flat form allows), or no metadata. */
const recordArb = fc.option(fc.array(fieldArb, { maxLength: 6 }), { nil: undefined, freq: 5 });

const scalarArb: fc.Arbitrary<MetaScalar> = fc.oneof(u64Arb, i64Arb, f64Arb, stringArb, fc.integer());
const leafArb: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({
    op: fc.constantFrom(
      'eq' as const,
      'ne' as const,
      'lt' as const,
      'le' as const,
      'gt' as const,
      'ge' as const,
    ),
    fieldId: fc.integer({ min: 0, max: 6 }),
    value: scalarArb,
  }),
  fc.record({
    op: fc.constant('in' as const),
    fieldId: fc.integer({ min: 0, max: 6 }),
    values: fc.array(scalarArb),
  }),
  fc.record({
    op: fc.constant('range' as const),
    fieldId: fc.integer({ min: 0, max: 6 }),
    low: scalarArb,
    high: scalarArb,
  }),
);
const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({
      op: fc.constantFrom('and' as const, 'or' as const),
      children: fc.array(tie('f'), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ op: fc.constant('not' as const), child: tie('f') }),
  ),
})).f;

describe('a field list in its stored encoding', () => {
  it('reads back exactly what the wire decodes from the same fields, and what was written', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 12 }), (records) => {
        const col = new EncodedColumn();
        for (const [i, r] of records.entries()) col.set(i, r);
        // The wire's own round trip is the independent answer.
        const wire = decodeMetadataPayload(
          encodeMetadataPayload(records.map((r, i) => ({ id: BigInt(i), fingerprint: 0, fields: r ?? [] }))),
        );
        records.forEach((r, i) => {
          expect(col.get(i)).toEqual(r === undefined ? undefined : wire[i]!.fields);
          expect(col.has(i)).toBe(r !== undefined);
        });
        expect(col.get(records.length)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('converts to the object form as metadataToObject does from decoded fields', () => {
    const names = new FieldTable([
      { fieldId: 1, name: 'one' },
      { fieldId: 0xffff, name: 'last' },
    ]);
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 6 }), (fields) => {
        const col = new EncodedColumn();
        col.set(0, fields);
        const got = col.objectOf(0, names)!;
        expect(got).toEqual(metadataToObject(col.get(0)!, names));
        // Numbers exactly where the object form promises them: safe integers and f64.
        for (const f of fields) {
          const v = got[names.nameOf(f.fieldId) ?? String(f.fieldId)];
          if (typeof v === 'bigint') expect(v > SAFE || v < -SAFE).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('answers every filter as matches() does on the decoded fields', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), filterArb, (records, filter) => {
        const col = new MetadataColumn();
        for (const [i, r] of records.entries()) col.set(i, r);
        records.forEach((r, i) => {
          expect(
            col.matches(i, filter),
            JSON.stringify(filter, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
          ).toBe(matches(filter, r));
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('EncodedColumn rewrites', () => {
  it('repacks once rewrites outweigh the live lists, and still reads like a plain array; copies stay apart', () => {
    const col = new EncodedColumn();
    const model: (MetaValue[] | undefined)[] = [];
    const long = (i: number, round: number): MetaValue[] => [
      { fieldId: 1, valueType: 'string', value: `${round}:${'é'.repeat(400)}:${i}` },
      { fieldId: 2, valueType: 'u64', value: U64_MAX - BigInt(i) },
    ];
    for (let i = 0; i < 50; i++) {
      model[i] = long(i, 0);
      col.set(i, model[i]);
    }
    let copy: EncodedColumn | undefined;
    let copyModel: (MetaValue[] | undefined)[] = [];
    // ~850 bytes a write, 4,000 writes: several megabytes replaced, so several repacks.
    for (let round = 1; round <= 80; round++) {
      for (let i = 0; i < 50; i++) {
        model[i] = i % 11 === round % 11 ? undefined : long(i, round);
        col.set(i, model[i]);
      }
      if (round === 40) {
        copy = col.copy();
        copyModel = model.slice();
      }
      if (round > 40) copy!.set(round % 50, [{ fieldId: 3, valueType: 'i64', value: BigInt(-round) }]);
      if (round > 40) copyModel[round % 50] = [{ fieldId: 3, valueType: 'i64', value: BigInt(-round) }];
    }
    for (let i = 0; i < 50; i++) expect(col.get(i)).toEqual(model[i]);
    for (let i = 0; i < 50; i++) expect(copy!.get(i)).toEqual(copyModel[i]);
    // What it holds is bounded by about twice the live bytes, not by everything ever written.
    const held = (col as unknown as { held: number }).held;
    expect(held).toBeLessThan(3 << 20);
  });
});

/** One vector's metadata in the object form, every kind of value. */
type Meta = Record<string, MetaScalar>;
const metaAt = (i: number): Meta | null =>
  i % 9 === 0
    ? null
    : {
        cat: i % 10,
        tag: i % 3 === 0 ? 'ünïcode' : `t${i % 4}`,
        big: (1n << 63n) + BigInt(i), // a u64 past 2^53
        neg: -(2 ** 40) * (i % 5) - 1, // an i64
        w: i / 7, // an f64
      };

/** Brute force over the model: ids passing `keep`, nearest first, as the store orders them. */
function brute(
  vecs: Float32Array,
  ids: number[],
  dim: number,
  q: Float32Array,
  keep: (m: Meta | null) => boolean,
): number[] {
  const out: { id: number; d: number }[] = [];
  ids.forEach((id, i) => {
    if (!keep(metaAt(id))) return;
    let d = 0;
    for (let j = 0; j < dim; j++) d += (vecs[i * dim + j]! - q[j]!) ** 2;
    out.push({ id, d });
  });
  return out.sort((a, b) => a.d - b.d || a.id - b.id).map((h) => h.id);
}

describe('a writer that opens a large store', () => {
  const DIM = 4;
  const N = 30_000;

  it('appends metadata without working through the older records; everything reads back right', async () => {
    const path = fresh();
    const vecs = randomVectors(N + 10, DIM, 5);
    const ids = Array.from({ length: N + 10 }, (_, i) => i);
    const s = await RvfStore.create(path, { dimension: DIM });
    await s.ingestBatch(vecs.subarray(0, N * DIM), ids.slice(0, N), ids.slice(0, N).map(metaAt));
    await s.close();

    const w = await RvfStore.open(path, { indexThreshold: Number.MAX_SAFE_INTEGER });
    const column = (w as unknown as { table: { metadata: MetadataColumn } }).table.metadata;
    expect(column.pending).toBe(true);
    await w.ingestBatch(vecs.subarray(N * DIM), ids.slice(N), ids.slice(N).map(metaAt));
    // The older records were neither decoded nor even looked up: the loader's work is
    // still pending behind the write (background slices may have begun, not finished).
    expect(column.pending).toBe(true);
    for (const id of [N, N + 9]) expect(w.get(id)?.metadata).toEqual(metaAt(id));
    for (const id of [0, 1, 7, N - 1]) {
      const want = metaAt(id);
      expect(w.get(id)?.metadata).toEqual(want ?? undefined);
    }
    const q = randomVectors(1, DIM, 6);
    const filters: [FilterInput, (m: Meta | null) => boolean][] = [
      [{ op: 'eq', field: 'cat', value: 3 }, (m) => m?.cat === 3],
      [
        { op: 'range', field: 'w', low: 100, high: 200 },
        (m) => m !== null && (m.w as number) >= 100 && (m.w as number) < 200,
      ],
      [
        { op: 'gt', field: 'big', value: (1n << 63n) + BigInt(N - 40) },
        (m) => m !== null && (m.big as bigint) > (1n << 63n) + BigInt(N - 40),
      ],
      [{ op: 'lt', field: 'neg', value: -(2 ** 41) }, (m) => m !== null && (m.neg as number) < -(2 ** 41)],
      [{ op: 'eq', field: 'tag', value: 'ünïcode' }, (m) => m?.tag === 'ünïcode'],
      [{ op: 'not', child: { op: 'eq', field: 'tag', value: 't1' } }, (m) => m?.tag !== 't1'],
    ];
    const check = async (store: RvfStore) => {
      for (const [filter, keep] of filters) {
        const want = brute(vecs, ids, DIM, q, keep).slice(0, 25);
        const got = await store.query(q, 25, { filter, plan: 'exact' });
        expect(got.map((r) => r.id)).toEqual(want);
        for (const r of got) expect(r.metadata).toEqual(metaAt(r.id as number) ?? undefined);
      }
    };
    await check(w);
    await w.close();
    const r = await RvfStore.open(path, { readOnly: true });
    await check(r);
    await r.close();
  });
});

describe('parseFilter keeps its meaning on encoded values', () => {
  it('a u64 filter value given as a string compares exactly with stored values past 2^53', () => {
    const names = new FieldTable([{ fieldId: 0, name: 'big' }]);
    const col = new MetadataColumn();
    const at = [SAFE, SAFE + 1n, SAFE + 2n, U64_MAX];
    for (const [i, v] of at.entries()) col.set(i, [{ fieldId: 0, valueType: 'u64', value: v }]);
    const f = parseFilter({ op: 'gt', fieldId: 0, valueType: 'u64', value: String(SAFE + 1n) }, names);
    expect(at.map((_, i) => col.matches(i, f))).toEqual([false, false, true, true]);
    const eq = parseFilter({ op: 'eq', field: 'big', value: Number(SAFE) }, names);
    expect(at.map((_, i) => col.matches(i, eq))).toEqual([true, false, false, false]);
  });
});
