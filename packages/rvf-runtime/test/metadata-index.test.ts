/**
 * The metadata index answers "which ordinals may match this filter" with a superset of the
 * true matches, and follows writes without being rebuilt. Every check here compares with
 * the predicate itself (matches()) applied to every ordinal, so a missed match fails at once;
 * rebuilds are observed through the index object the planner would keep.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Filter, matches, parseFilter } from '../src/filter.js';
import { FieldTable, type MetaValue } from '../src/metadata.js';
import { bitsToOrdinals, MetadataIndex, popcount } from '../src/metadata-index.js';
import { VectorTable } from '../src/vector-table.js';

const names = new FieldTable();
const parse = (f: unknown): Filter => parseFilter(f, names);

/** The planner's use of the index (QueryEngine.candidates), with a count of full builds. */
function planner(table: VectorTable) {
  let index: MetadataIndex | undefined;
  let builds = 0;
  return {
    get builds() {
      return builds;
    },
    get index() {
      return index!;
    },
    candidates(filter: Filter): Uint32Array {
      const changes = table.metadata.takeChanges();
      if (!index || !changes || !index.update(changes)) {
        index = new MetadataIndex(table);
        builds++;
      }
      return index.candidates(filter);
    },
  };
}

/** Grows the table to `count` ordinals (ids = ordinals; the vectors do not matter here). */
function grow(table: VectorTable, count: number): void {
  const keys: number[] = [];
  for (let id = table.count; id < count; id++) keys.push(id);
  if (keys.length) table.putBlock(keys, new Float32Array(keys.length * table.dimension));
}

/**
 * Every match is a candidate; and where the index calls its answer exact, every candidate it
 * does not flag as possibly stale is a match (the planner skips the check for those).
 */
function expectSuperset(
  table: VectorTable,
  bits: Uint32Array,
  filter: Filter,
  label: string,
  index?: MetadataIndex,
): void {
  const got = new Set(bitsToOrdinals(bits, popcount(bits)));
  for (let ord = 0; ord < table.count; ord++) {
    const match = matches(filter, table.metadata.get(ord));
    if (match && !got.has(ord)) {
      throw new Error(`${label}: ordinal ${ord} matches but is not a candidate`);
    }
    if (!match && got.has(ord) && index?.isExact(filter) && !index.mayBeStale(ord)) {
      throw new Error(
        `${label}: ordinal ${ord} is an unflagged candidate of an exact answer but does not match`,
      );
    }
  }
  // Nothing past the table either.
  for (const o of got) expect(o).toBeLessThan(table.count);
}

const COLORS = ['red', 'green', 'blue', 'teal'];
const valueArb: fc.Arbitrary<MetaValue> = fc.oneof(
  fc.record({
    fieldId: fc.constant(0),
    valueType: fc.constant('string' as const),
    value: fc.constantFrom(...COLORS),
  }),
  fc.record({
    fieldId: fc.constant(1),
    valueType: fc.constant('i64' as const),
    value: fc.bigInt(-20n, 20n),
  }),
  fc.record({
    fieldId: fc.constant(1),
    valueType: fc.constant('f64' as const),
    value: fc.double({ min: -20, max: 20, noNaN: true }),
  }),
  fc.record({
    fieldId: fc.constant(2),
    valueType: fc.constant('u64' as const),
    value: fc.bigInt((1n << 63n) - 3n, (1n << 63n) + 3n),
  }),
);
const fieldsArb = fc.option(fc.array(valueArb, { minLength: 1, maxLength: 3 }), { nil: undefined });

const filterArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.record({ op: fc.constant('eq'), fieldId: fc.constant(0), value: fc.constantFrom(...COLORS) }),
    fc.record({
      op: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge'),
      fieldId: fc.constant(1),
      value: fc.oneof(fc.integer({ min: -21, max: 21 }), fc.double({ min: -21, max: 21, noNaN: true })),
    }),
    fc.record({
      op: fc.constant('range'),
      fieldId: fc.constant(1),
      low: fc.integer({ min: -21, max: 5 }),
      high: fc.integer({ min: -5, max: 21 }),
    }),
    fc.record({
      op: fc.constantFrom('ge', 'lt'),
      fieldId: fc.constant(2),
      value: fc.bigInt((1n << 63n) - 3n, (1n << 63n) + 3n),
    }),
    fc.record({ op: fc.constant('in'), fieldId: fc.constant(0), values: fc.subarray(COLORS) }),
  ),
  node: fc.oneof(
    { weight: 3, arbitrary: tie('leaf') },
    fc.record({
      op: fc.constantFrom('and', 'or'),
      filters: fc.array(tie('leaf'), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ op: fc.constant('not'), filter: tie('leaf') }),
  ),
})).node;

type Op =
  | { kind: 'write'; writes: { at: number; fields: MetaValue[] | undefined }[] }
  | { kind: 'query'; filter: unknown };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      writes: fc.array(fc.record({ at: fc.integer({ min: 0, max: 79 }), fields: fieldsArb }), {
        maxLength: 12,
      }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('query' as const), filter: filterArb }) },
);

describe('MetadataIndex', () => {
  it('candidates contain every match, through any mix of writes (new ordinals, rewrites, clears) and queries', () => {
    fc.assert(
      fc.property(
        fc.array(fieldsArb, { maxLength: 40 }),
        fc.array(opArb, { maxLength: 40 }),
        (initial, ops) => {
          const table = new VectorTable(2, 16);
          grow(table, initial.length);
          for (const [ord, f] of initial.entries()) table.metadata.set(ord, f);
          const plan = planner(table);
          for (const op of ops) {
            if (op.kind === 'write') {
              for (const w of op.writes) {
                grow(table, w.at + 1);
                table.metadata.set(w.at, w.fields);
              }
              continue;
            }
            let filter: Filter;
            try {
              filter = parse(op.filter);
            } catch {
              continue; // e.g. an empty `in` list: refused by the parser, nothing to plan
            }
            expectSuperset(
              table,
              plan.candidates(filter),
              filter,
              JSON.stringify(op.filter, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
              plan.index,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('follows small writes without rebuilding; equality candidates stay exact for fresh values', () => {
    const table = new VectorTable(2, 16);
    grow(table, 5000);
    const color = (ord: number): MetaValue[] => [
      { fieldId: 0, valueType: 'string', value: COLORS[ord % 4]! },
    ];
    const price = (v: number): MetaValue => ({ fieldId: 1, valueType: 'i64', value: BigInt(v) });
    for (let ord = 0; ord < 5000; ord++) table.metadata.set(ord, [...color(ord), price(ord)]);
    const plan = planner(table);
    const red = parse({ op: 'eq', fieldId: 0, value: 'red' });
    expect(popcount(plan.candidates(red))).toBe(1250);
    expect(plan.builds).toBe(1);
    for (let round = 0; round < 100; round++) {
      // Ten new ordinals and ten rewritten ones per round, then a filtered query.
      grow(table, table.count + 10);
      for (let i = 0; i < 10; i++) {
        table.metadata.set(table.count - 1 - i, [
          { fieldId: 0, valueType: 'string', value: 'violet' },
          price(-round),
        ]);
        table.metadata.set(round * 10 + i, [...color(round * 10 + i), price(10_000 + round)]);
      }
      const violet = parse({ op: 'eq', fieldId: 0, value: 'violet' });
      const bits = plan.candidates(violet);
      // Only the new ordinals ever had 'violet': the candidates are exactly the matches.
      expect(popcount(bits)).toBe((round + 1) * 10);
      expectSuperset(table, bits, violet, `round ${round}`, plan.index);
      // Rewritten records are flagged (their old colours linger); new ones are not.
      expect(plan.index.mayBeStale(round * 10)).toBe(true);
      expect(plan.index.mayBeStale(4999)).toBe(false);
      const cheap = parse({ op: 'lt', fieldId: 1, value: 0 });
      expectSuperset(
        table,
        plan.candidates(cheap),
        cheap,
        `round ${round} (numeric, recent values unmerged)`,
      );
      const costly = parse({ op: 'ge', fieldId: 1, value: 10_000 });
      expectSuperset(table, plan.candidates(costly), costly, `round ${round} (numeric)`);
    }
    // 2000 writes taken in as they came: never rebuilt.
    expect(plan.builds).toBe(1);
  });

  it('rewriting the same records over and over rebuilds now and then, so stale entries do not pile up', () => {
    const table = new VectorTable(2, 16);
    grow(table, 100);
    const plan = planner(table);
    const f = (v: number): MetaValue[] => [{ fieldId: 1, valueType: 'i64', value: BigInt(v) }];
    for (let ord = 0; ord < 100; ord++) table.metadata.set(ord, f(0));
    plan.candidates(parse({ op: 'eq', fieldId: 1, value: 0 }));
    for (let round = 1; round <= 200; round++) {
      for (let ord = 0; ord < 100; ord++) table.metadata.set(ord, f(round));
      expect(popcount(plan.candidates(parse({ op: 'eq', fieldId: 1, value: round })))).toBe(100);
    }
    // About one rebuild per dozen rounds (when the entries pass twice the live ones plus a
    // margin), not one per round...
    expect(plan.builds).toBeGreaterThan(5);
    expect(plan.builds).toBeLessThan(60);
    // ...and a value overwritten long ago no longer yields stale candidates.
    expect(popcount(plan.candidates(parse({ op: 'eq', fieldId: 1, value: 1 })))).toBe(0);
    expect(popcount(plan.candidates(parse({ op: 'lt', fieldId: 1, value: 100 })))).toBe(0);
  });

  it('a burst of writes larger than the table is not replayed: the next query rebuilds', () => {
    const table = new VectorTable(2, 16);
    grow(table, 2000);
    const plan = planner(table);
    const red = parse({ op: 'eq', fieldId: 0, value: 'red' });
    expect(popcount(plan.candidates(red))).toBe(0);
    for (let i = 0; i < 3000; i++)
      table.metadata.set(i % 2000, [{ fieldId: 0, valueType: 'string', value: i >= 2500 ? 'red' : 'blue' }]);
    const bits = plan.candidates(red);
    expect(plan.builds).toBe(2);
    // Built from the records as they are: exactly ordinals 500..999.
    expect(Array.from(bitsToOrdinals(bits, popcount(bits)))).toEqual(
      Array.from({ length: 500 }, (_, i) => 500 + i),
    );
  });
});
