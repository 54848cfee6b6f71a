/**
 * MetadataColumn is lazy (defer runs on first read) and copy-on-write (fork shares until a
 * side writes). Neither may be observable except through `pending`: every column must read
 * as if each defer, set and fork had been applied eagerly to a plain array of its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetadataColumn, type MetaFields } from '../src/metadata-column.js';

/** A field list carrying one number, so values are easy to write and compare. */
const f = (n: number): MetaFields => [{ fieldId: 0, valueType: 'i64', value: BigInt(n) }];
const num = (m: MetaFields): number | undefined => (m ? Number(m[0]!.value) : undefined);
const nums = (c: MetadataColumn) => Array.from(c.all(), num);

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
    expect(c.all()).toEqual([]);
  });

  it('steps run once, on the first read, in order, each seeing the previous result', () => {
    const c = column(1, 2);
    const log: string[] = [];
    c.defer((v) => {
      log.push(`a:${v.map(num).join(',')}`);
      v[0] = f(10);
    });
    c.defer((v) => {
      log.push(`b:${v.map(num).join(',')}`);
      v.push(f(num(v[0])! + num(v[1])!));
    });
    c.defer((v) => {
      log.push(`c:${v.map(num).join(',')}`);
      v[1] = undefined;
    });
    expect(log).toEqual([]);
    expect(c.pending).toBe(true);
    expect(num(c.get(2))).toBe(12); // the first read
    expect(log).toEqual(['a:1,2', 'b:10,2', 'c:10,2,12']);
    expect(c.pending).toBe(false);
    expect(nums(c)).toEqual([10, undefined, 12]);
    c.get(0);
    c.all();
    expect(log.length).toBe(3);
  });

  it('each kind of access is a first read: get, all, and set (which must not lose the deferred values)', () => {
    for (const access of ['get', 'all', 'set'] as const) {
      const c = column(1);
      let runs = 0;
      c.defer((v) => {
        runs++;
        v.push(f(2));
      });
      expect(runs).toBe(0);
      if (access === 'get') expect(num(c.get(1))).toBe(2);
      if (access === 'all') expect(nums(c)).toEqual([1, 2]);
      if (access === 'set') c.set(2, f(3));
      expect(runs).toBe(1);
      expect(nums(c)).toEqual(access === 'set' ? [1, 2, 3] : [1, 2]);
      expect(runs).toBe(1);
    }
  });

  it('a step deferred after a read runs on the values as they are then', () => {
    const c = column(1);
    c.defer((v) => v.push(f(2)));
    expect(nums(c)).toEqual([1, 2]);
    c.set(0, f(5));
    c.defer((v) => v.push(f(num(v[0])! * 10)));
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
    expect(() => c.all()).toThrow('damaged');
    expect(() => c.set(0, f(9))).toThrow('damaged');
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
      seen.push(v.map(num));
      v.push(f(3));
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
      v.push(f(2));
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
    a.defer((v) => v.push(f(2)));
    const b = a.fork();
    a.set(0, f(10)); // builds the shared values, then copies for a
    expect(nums(b)).toEqual([1, 2]);
    expect(nums(a)).toEqual([10, 2]);

    const c = column(1);
    c.defer((v) => v.push(f(2)));
    const d = c.fork();
    d.set(1, f(20));
    expect(nums(c)).toEqual([1, 2]);
    expect(nums(d)).toEqual([1, 20]);
  });

  it('a step deferred on one side of a fork works on a private copy', () => {
    const a = column(1, 2);
    const b = a.fork();
    b.defer((v) => {
      v[0] = f(-1);
    });
    a.defer((v) => v.push(f(3)));
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
    | { kind: 'defer'; col: number; at: number; add: number }
    | { kind: 'fork'; col: number }
    | { kind: 'read'; col: number };
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
    fc.record({ kind: fc.constant('defer' as const), col, at, add: fc.integer({ min: 1, max: 9 }) }),
    fc.record({ kind: fc.constant('fork' as const), col }),
    fc.record({ kind: fc.constant('read' as const), col }),
  );

  it('matches, and every deferred step runs exactly once', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const cols: MetadataColumn[] = [new MetadataColumn()];
        const model: (number | undefined)[][] = [[]];
        const runs: number[] = [];
        for (const op of ops) {
          const i = op.col % cols.length;
          switch (op.kind) {
            case 'set':
              cols[i]!.set(op.at, op.value === null ? undefined : f(op.value));
              model[i]![op.at] = op.value === null ? undefined : op.value;
              break;
            case 'defer': {
              // A step whose result depends on what it is given: order and input both matter.
              const step = runs.push(0) - 1;
              cols[i]!.defer((v) => {
                runs[step]!++;
                v[op.at] = f((num(v[op.at]) ?? 0) * 3 + op.add);
              });
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
