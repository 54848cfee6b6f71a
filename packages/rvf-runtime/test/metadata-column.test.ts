/**
 * MetadataColumn is lazy (defer runs on first read) and copy-on-write (fork shares until a
 * side writes). Neither may be observable except through `pending`: every column must read
 * as if each defer, set and fork had been applied eagerly to a plain array of its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldTable } from '../src/metadata.js';
import { MetadataColumn, type MetaFields } from '../src/metadata-column.js';

/** A field list carrying one number, so values are easy to write and compare. */
const f = (n: number): MetaFields => [{ fieldId: 0, valueType: 'i64', value: BigInt(n) }];
const num = (m: MetaFields): number | undefined => (m ? Number(m[0]!.value) : undefined);
/** Every ordinal's number, as a plain array would hold them. */
const list = (c: { size: number; get(i: number): MetaFields }) =>
  Array.from({ length: c.size }, (_, i) => num(c.get(i)));
const nums = (c: MetadataColumn) => list(c);

function column(...values: (number | undefined)[]): MetadataColumn {
  const c = new MetadataColumn();
  for (const [i, v] of values.entries()) c.set(i, v === undefined ? undefined : f(v));
  return c;
}

describe('defer', () => {
  it('an empty column reads undefined everywhere and is not pending', () => {
    const c = new MetadataColumn();
    expect(c.pending).toBe(false);
    expect(c.get(0)).toBeUndefined();
    expect(c.get(1e6)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('steps run once, on the first read, in order, each seeing the previous result', () => {
    const c = column(1, 2);
    const log: string[] = [];
    c.defer((v) => {
      log.push(`a:${list(v).join(',')}`);
      v.set(0, f(10));
    });
    c.defer((v) => {
      log.push(`b:${list(v).join(',')}`);
      v.set(v.size, f(num(v.get(0))! + num(v.get(1))!));
    });
    c.defer((v) => {
      log.push(`c:${list(v).join(',')}`);
      v.set(1, undefined);
    });
    expect(log).toEqual([]);
    expect(c.pending).toBe(true);
    expect(num(c.get(2))).toBe(12); // the first read
    expect(log).toEqual(['a:1,2', 'b:10,2', 'c:10,2,12']);
    expect(c.pending).toBe(false);
    expect(nums(c)).toEqual([10, undefined, 12]);
    c.get(0);
    c.has(1);
    expect(log.length).toBe(3);
  });

  it('each kind of read is a first read: get, has, objectOf, matches, size', () => {
    const names = new FieldTable();
    const reads: ((c: MetadataColumn) => unknown)[] = [
      (c) => expect(num(c.get(1))).toBe(2),
      (c) => expect(c.has(1)).toBe(true),
      (c) => expect(c.objectOf(1, names)).toEqual({ '0': 2 }),
      (c) => expect(c.matches(1, { op: 'eq', fieldId: 0, value: 2 })).toBe(true),
      (c) => expect(c.size).toBe(2),
    ];
    for (const read of reads) {
      const c = column(1);
      let runs = 0;
      c.defer((v) => {
        runs++;
        v.set(v.size, f(2));
      });
      expect(runs).toBe(0);
      read(c);
      expect(runs).toBe(1);
      expect(nums(c)).toEqual([1, 2]);
      expect(runs).toBe(1);
    }
  });

  it('a write to a pending column waits behind the deferred work (which it does not run) and is not lost', () => {
    const c = column(1);
    let runs = 0;
    c.defer((v) => {
      runs++;
      v.set(v.size, f(2));
      v.set(0, f(num(v.get(0))! + 10));
    });
    c.set(2, f(3));
    c.set(0, f(5)); // replaces what the deferred step will have written
    expect(runs).toBe(0);
    expect(c.pending).toBe(true);
    expect(c.takeChanges()).toBeUndefined(); // the defer replaced the values wholesale
    c.set(3, undefined);
    expect(c.takeChanges()).toEqual([3]);
    expect(runs).toBe(0);
    expect(nums(c)).toEqual([5, 2, 3, undefined]);
    expect(runs).toBe(1);
  });

  it('a step deferred after a read runs on the values as they are then', () => {
    const c = column(1);
    c.defer((v) => v.set(v.size, f(2)));
    expect(nums(c)).toEqual([1, 2]);
    c.set(0, f(5));
    c.defer((v) => v.set(v.size, f(num(v.get(0))! * 10)));
    expect(c.pending).toBe(true);
    expect(nums(c)).toEqual([5, 2, 50]);
  });

  it('a throwing step throws again on the next read (never reads as empty), and stays pending', () => {
    const c = column(1, 2);
    let runs = 0;
    c.defer(() => {
      runs++;
      throw new Error('damaged');
    });
    expect(() => c.get(0)).toThrow('damaged');
    expect(c.pending).toBe(true);
    expect(() => c.get(0)).toThrow('damaged');
    expect(() => c.has(1)).toThrow('damaged');
    // A write is queued behind the failing step; the reads after it still fail.
    c.set(0, f(9));
    expect(() => c.objectOf(0, new FieldTable())).toThrow('damaged');
    expect(runs).toBe(4);
    // A fork of the failing column fails the same way.
    expect(() => c.fork().get(1)).toThrow('damaged');
  });

  it('a step that fails once and then succeeds sees the values as they were without it', () => {
    // The retry must start from the same input as the failed attempt, even if that attempt
    // changed the array before throwing.
    const c = column(1, 2);
    let attempt = 0;
    const seen: (number | undefined)[][] = [];
    c.defer((v) => {
      seen.push(list(v));
      v.set(v.size, f(3));
      if (attempt++ === 0) throw new Error('transient');
    });
    expect(() => c.get(0)).toThrow('transient');
    expect(nums(c)).toEqual([1, 2, 3]);
    expect(seen).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });
});

describe('fork', () => {
  it('shares until the source writes; the fork keeps the old values', () => {
    const a = column(1, 2, 3);
    const b = a.fork();
    expect(nums(b)).toEqual([1, 2, 3]);
    a.set(1, f(20));
    a.set(5, f(50));
    expect(nums(a)).toEqual([1, 20, 3, undefined, undefined, 50]);
    expect(nums(b)).toEqual([1, 2, 3]);
  });

  it('shares until the fork writes; the source keeps the old values', () => {
    const a = column(1, 2, 3);
    const b = a.fork();
    b.set(0, undefined);
    b.set(3, f(4));
    expect(nums(b)).toEqual([undefined, 2, 3, 4]);
    expect(nums(a)).toEqual([1, 2, 3]);
    // Both sides keep writing independently afterwards.
    a.set(0, f(100));
    b.set(1, f(200));
    expect(nums(a)).toEqual([100, 2, 3]);
    expect(nums(b)).toEqual([undefined, 200, 3, 4]);
  });

  it('a fork of a pending column: the step runs once for both, and later writes stay on their side', () => {
    const a = column(1);
    let runs = 0;
    a.defer((v) => {
      runs++;
      v.set(v.size, f(2));
    });
    const b = a.fork();
    expect(a.pending).toBe(true);
    expect(b.pending).toBe(true);
    expect(runs).toBe(0);
    expect(nums(b)).toEqual([1, 2]);
    expect(runs).toBe(1);
    expect(a.pending).toBe(false); // the built values are shared
    expect(nums(a)).toEqual([1, 2]);
    expect(runs).toBe(1);
    b.set(0, f(7));
    a.set(1, f(8));
    expect(nums(a)).toEqual([1, 8]);
    expect(nums(b)).toEqual([7, 2]);
  });

  it('a write to a pending source does not show in an unread fork (and vice versa)', () => {
    const a = column(1);
    a.defer((v) => v.set(v.size, f(2)));
    const b = a.fork();
    a.set(0, f(10)); // queued on a's side only
    expect(nums(b)).toEqual([1, 2]);
    expect(nums(a)).toEqual([10, 2]);

    const c = column(1);
    c.defer((v) => v.set(v.size, f(2)));
    const d = c.fork();
    d.set(1, f(20));
    expect(nums(c)).toEqual([1, 2]);
    expect(nums(d)).toEqual([1, 20]);
  });

  it('a step deferred on one side of a fork works on a private copy', () => {
    const a = column(1, 2);
    const b = a.fork();
    b.defer((v) => {
      v.set(0, f(-1));
    });
    a.defer((v) => v.set(v.size, f(3)));
    expect(nums(b)).toEqual([-1, 2]);
    expect(nums(a)).toEqual([1, 2, 3]);
  });

  it('forks of forks: three columns, each written once, each sees only its own write', () => {
    const a = column(0, 0);
    const b = a.fork();
    const c = b.fork();
    c.set(0, f(3));
    b.set(1, f(2));
    a.set(2, f(1));
    expect(nums(a)).toEqual([0, 0, 1]);
    expect(nums(b)).toEqual([0, 2]);
    expect(nums(c)).toEqual([3, 0]);
  });
});

describe('model: any sequence of operations reads like eager, private arrays', () => {
  type Op =
    | { kind: 'set'; col: number; at: number; value: number | null }
    | { kind: 'defer'; col: number; at: number; add: number; sliced: boolean }
    /** One slice of pending work, as the store's background decoding does it. */
    | { kind: 'advance'; col: number }
    | { kind: 'fork'; col: number }
    | { kind: 'read'; col: number }
    /** objectOf, whose answer is cached per ordinal: it must still follow every change. */
    | { kind: 'object'; col: number; at: number }
    /** Names field 0 (keys change from '0' to 'n' in every column's object forms). */
    | { kind: 'name' };
  // `col` picks a column modulo the number that exist when the op runs (forks add columns).
  const col = fc.nat();
  const at = fc.integer({ min: 0, max: 6 });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      col,
      at,
      value: fc.option(fc.integer({ min: 0, max: 99 })),
    }),
    fc.record({
      kind: fc.constant('defer' as const),
      col,
      at,
      add: fc.integer({ min: 1, max: 9 }),
      sliced: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('advance' as const), col }),
    fc.record({ kind: fc.constant('fork' as const), col }),
    fc.record({ kind: fc.constant('read' as const), col }),
    fc.record({ kind: fc.constant('object' as const), col, at }),
    fc.record({ kind: fc.constant('name' as const) }),
  );

  it('matches, and every deferred step runs exactly once', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const cols: MetadataColumn[] = [new MetadataColumn()];
        const model: (number | undefined)[][] = [[]];
        const runs: number[] = [];
        const names = new FieldTable();
        for (const op of ops) {
          if (op.kind === 'name') {
            names.intern('n', new Set());
            continue;
          }
          const i = op.col % cols.length;
          switch (op.kind) {
            case 'set':
              cols[i]!.set(op.at, op.value === null ? undefined : f(op.value));
              model[i]![op.at] = op.value === null ? undefined : op.value;
              break;
            case 'defer': {
              // A step whose result depends on what it is given: order and input both matter.
              const step = runs.push(0) - 1;
              if (op.sliced) {
                // The same change in three slices, with pauses between: a partial state
                // (the value tripled but not yet added to) must never be read.
                cols[i]!.defer(function* (v) {
                  const before = num(v.get(op.at)) ?? 0;
                  yield;
                  v.set(op.at, f(before * 3));
                  yield;
                  v.set(op.at, f(before * 3 + op.add));
                  runs[step]!++;
                });
              } else {
                cols[i]!.defer((v) => {
                  runs[step]!++;
                  v.set(op.at, f((num(v.get(op.at)) ?? 0) * 3 + op.add));
                });
              }
              const m = model[i]!;
              m[op.at] = (m[op.at] ?? 0) * 3 + op.add;
              break;
            }
            case 'fork':
              cols.push(cols[i]!.fork());
              model.push(model[i]!.slice());
              break;
            case 'read':
              expect(nums(cols[i]!)).toEqual(Array.from(model[i]!));
              break;
            case 'advance': {
              const c = cols[i]!;
              const wasPending = c.pending;
              const done = c.advance();
              // Only a finished build stops being pending, and advance says so.
              expect(c.pending).toBe(!done);
              if (!wasPending) expect(done).toBe(true);
              break;
            }
            case 'object': {
              const got = cols[i]!.objectOf(op.at, names);
              const want = model[i]![op.at];
              expect(got).toEqual(want === undefined ? undefined : { [names.nameOf(0) ?? '0']: want });
              // Each answer is the caller's to change: nothing here may reach the next one.
              if (got) {
                for (const k of Object.keys(got)) got[k] = -1;
                got.extra = 'x';
              }
              break;
            }
          }
        }
        cols.forEach((c, i) => {
          expect(nums(c)).toEqual(Array.from(model[i]!));
          expect(c.pending).toBe(false);
        });
        // Every column has been read, so every step has run: exactly once.
        for (const r of runs) expect(r).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('objectOf', () => {
  it('converts like metadataToObject: names by id, safe integers as numbers, larger ones as bigints', () => {
    const names = new FieldTable([{ fieldId: 1, name: 'title' }]);
    const c = new MetadataColumn();
    const big = 2n ** 53n;
    c.set(0, [
      { fieldId: 1, valueType: 'string', value: 'a' },
      { fieldId: 2, valueType: 'u64', value: big - 1n },
      { fieldId: 3, valueType: 'u64', value: big },
      { fieldId: 4, valueType: 'i64', value: -big },
      { fieldId: 5, valueType: 'f64', value: 0.5 },
    ]);
    for (let round = 0; round < 2; round++) {
      // The second round reads the cached form: it must answer the same.
      expect(c.objectOf(0, names)).toEqual({
        title: 'a',
        '2': Number(big - 1n),
        '3': big,
        '4': -big,
        '5': 0.5,
      });
    }
    expect(c.objectOf(1, names)).toBeUndefined();
  });

  it('a column read with another field table (a reloaded store) does not answer from the old one', () => {
    const c = new MetadataColumn();
    c.set(0, f(7));
    expect(c.objectOf(0, new FieldTable([{ fieldId: 0, name: 'a' }]))).toEqual({ a: 7 });
    expect(c.objectOf(0, new FieldTable([{ fieldId: 0, name: 'b' }]))).toEqual({ b: 7 });
  });

  it('a fork and its source each answer with their own values after either writes', () => {
    const names = new FieldTable();
    const a = column(1, 2);
    expect(a.objectOf(1, names)).toEqual({ '0': 2 });
    const b = a.fork();
    b.set(1, f(20));
    expect(a.objectOf(1, names)).toEqual({ '0': 2 });
    expect(b.objectOf(1, names)).toEqual({ '0': 20 });
    a.set(1, undefined);
    expect(a.objectOf(1, names)).toBeUndefined();
    expect(b.objectOf(1, names)).toEqual({ '0': 20 });
  });
});

describe('advance', () => {
  it('a sliced step is built one slice per call and never read half-done; a plain step in one call', () => {
    const c = column(1, 2);
    c.defer(function* (v) {
      v.set(0, f(10));
      yield;
      v.set(1, f(20));
      yield;
      v.set(v.size, f(30));
    });
    const calls: boolean[] = [];
    for (let i = 0; i < 10 && c.pending; i++) calls.push(c.advance());
    // Start, then one call per slice (three), the last reporting done.
    expect(calls).toEqual([false, false, false, true]);
    expect(nums(c)).toEqual([10, 20, 30]);

    const d = column(1);
    d.defer((v) => v.set(v.size, f(2)));
    expect(d.advance()).toBe(true);
    expect(nums(d)).toEqual([1, 2]);
  });

  it('a read between slices finishes the rest; a step deferred on top waits for the one below', () => {
    const c = column(1);
    let ran = 0;
    c.defer(function* (v) {
      v.set(0, f(5));
      yield;
      v.set(0, f(6));
      ran++;
    });
    c.advance();
    c.advance(); // first slice done: v.get(0) is 5 in the private copy
    c.defer((v) => v.set(v.size, f((num(v.get(0)) ?? 0) + 1)));
    // The upper step must see the lower one finished (6), however the work is split.
    while (!c.advance());
    expect(nums(c)).toEqual([6, 7]);
    expect(ran).toBe(1);

    const d = column(1);
    d.defer(function* (v) {
      yield;
      v.set(0, f(2));
    });
    d.advance();
    expect(nums(d)).toEqual([2]);
    expect(d.pending).toBe(false);
  });

  it('a slice that throws leaves the column pending; the next attempt starts over from a fresh copy', () => {
    const c = column(1, 2);
    let attempt = 0;
    c.defer(function* (v) {
      attempt++;
      v.set(0, f(100 + attempt));
      yield;
      if (attempt === 1) throw new Error('damaged');
      v.set(1, f(200 + attempt));
    });
    expect(c.advance()).toBe(false);
    expect(c.advance()).toBe(false);
    expect(() => c.advance()).toThrow('damaged');
    expect(c.pending).toBe(true);
    // Second attempt: the first attempt's partial write (101) is not carried over.
    expect(nums(c)).toEqual([102, 202]);
    expect(attempt).toBe(2);
  });
});
