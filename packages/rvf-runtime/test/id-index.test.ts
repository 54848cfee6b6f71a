/**
 * IdIndex keeps small numeric ids in a dense Int32Array that grows with the entry count and
 * everything else in a Map; which one holds an id is an internal matter, so every sequence
 * of operations must answer exactly as a plain Map would. The id mix deliberately straddles
 * the dense range's growth points (4096, 8192, 4 × entry count) and the number/bigint split
 * at 2^53 (IdKey: safe integers are numbers, larger ids bigints).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IdKey } from '../src/ids.js';
import { IdIndex } from '../src/vector-table.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_ORD = 2 ** 31 - 2; // the dense array stores ordinal + 1 in an Int32

const idArb: fc.Arbitrary<IdKey> = fc.oneof(
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 4090, max: 4100 }),
  fc.integer({ min: 8185, max: 8200 }),
  fc.integer({ min: 0, max: 20_000 }),
  fc.integer({ min: 2 ** 32 - 2, max: 2 ** 32 + 2 }),
  fc.integer({ min: MAX_SAFE - 5, max: MAX_SAFE }),
  fc.bigInt(BigInt(MAX_SAFE) + 1n, (1n << 64n) - 1n),
  fc.constantFrom<IdKey>(BigInt(MAX_SAFE) + 1n, (1n << 64n) - 1n),
);
const ordArb = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(0, MAX_ORD));

type Op =
  | { kind: 'set'; id: IdKey; ord: number }
  | { kind: 'get'; id: IdKey }
  | { kind: 'assign'; keys: IdKey[] }
  /** Assigns a run of consecutive ids: grows the entry count fast, which moves the dense bound. */
  | { kind: 'run'; start: number; length: number }
  /** Widens the dense range ahead of a block (storage only: answers must not change). */
  | { kind: 'reserve'; maxId: number; entries: number }
  /** assignRun first (a load's fast path), assign when it declines, as putBlock does. */
  | { kind: 'fastRun'; start: number; length: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), id: idArb, ord: ordArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), id: idArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('assign' as const), keys: fc.array(idArb, { maxLength: 12 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      start: fc.integer({ min: 0, max: 30_000 }),
      length: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fastRun' as const),
      start: fc.integer({ min: 0, max: 30_000 }),
      length: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      maxId: fc.integer({ min: 0, max: 40_000 }),
      entries: fc.integer({ min: 0, max: 12_000 }),
    }),
  },
);

/** The reference answer for assign: a key seen before keeps its ordinal, new ones count up from next. */
function modelAssign(model: Map<IdKey, number>, keys: readonly IdKey[], next: number) {
  const out: number[] = [];
  const fresh: number[] = [];
  for (const k of keys) {
    const known = model.get(k);
    if (known !== undefined) {
      out.push(known);
      fresh.push(0);
    } else {
      model.set(k, next);
      out.push(next++);
      fresh.push(1);
    }
  }
  return { out, fresh, next };
}

function expectMatches(index: IdIndex, model: Map<IdKey, number>, probes: readonly IdKey[]): void {
  for (const [k, o] of model) {
    if (index.get(k) !== o) throw new Error(`get(${String(k)}) = ${index.get(k)}, model ${o}`);
    if (!index.has(k)) throw new Error(`has(${String(k)}) is false`);
  }
  for (const k of probes) {
    expect(index.get(k)).toBe(model.get(k));
    expect(index.has(k)).toBe(model.has(k));
  }
}

describe('IdIndex against a Map model', () => {
  const fastRuns = { taken: 0, declined: 0 };
  it('random set / get / has / assign sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(idArb, { maxLength: 30 }), (ops, probes) => {
        const index = new IdIndex();
        const model = new Map<IdKey, number>();
        let next = 0;
        for (const op of ops) {
          switch (op.kind) {
            case 'fastRun': {
              const keys = Array.from({ length: op.length }, (_, i) => op.start + i);
              const unseen = keys.every((k) => !model.has(k));
              if (index.assignRun(keys, next)) {
                // Taken only for ids the index never had: they count up from next, in order.
                expect(unseen).toBe(true);
                fastRuns.taken++;
                expect(modelAssign(model, keys, next).fresh.every((f) => f === 1)).toBe(true);
                next += keys.length;
              } else {
                // Declined: nothing changed, and the ordinary path gives the model's answer.
                fastRuns.declined++;
                expectMatches(index, model, keys);
                const fresh = new Uint8Array(keys.length);
                const got = index.assign(keys, next, fresh);
                const want = modelAssign(model, keys, next);
                expect(Array.from(got)).toEqual(want.out);
                next = want.next;
              }
              break;
            }
            case 'set':
              index.set(op.id, op.ord);
              model.set(op.id, op.ord);
              break;
            case 'get':
              expect(index.get(op.id)).toBe(model.get(op.id));
              expect(index.has(op.id)).toBe(model.has(op.id));
              break;
            case 'reserve':
              index.reserve(op.maxId, op.entries);
              break;
            case 'assign':
            case 'run': {
              const keys =
                op.kind === 'assign' ? op.keys : Array.from({ length: op.length }, (_, i) => op.start + i);
              const fresh = new Uint8Array(keys.length);
              const got = index.assign(keys, next, fresh);
              const want = modelAssign(model, keys, next);
              expect(Array.from(got)).toEqual(want.out);
              expect(Array.from(fresh)).toEqual(want.fresh);
              next = want.next;
              break;
            }
          }
        }
        expectMatches(index, model, probes);
        expect(index.hasBase).toBe(false);
      }),
      { numRuns: 300 },
    );
    // assignRun was both taken and declined (ids already seen, or below the largest one).
    expect(fastRuns.taken).toBeGreaterThan(0);
    expect(fastRuns.declined).toBeGreaterThan(0);
  });

  it('a number id and a bigint id of different values never collide; absent ids read undefined', () => {
    const index = new IdIndex();
    index.set(MAX_SAFE, 1);
    index.set(BigInt(MAX_SAFE) + 1n, 2);
    index.set(0, 3);
    expect(index.get(MAX_SAFE)).toBe(1);
    expect(index.get(BigInt(MAX_SAFE) + 1n)).toBe(2);
    expect(index.get(0)).toBe(3);
    expect(index.get(1)).toBeUndefined();
    expect(index.get(MAX_SAFE - 1)).toBeUndefined();
    expect(index.get((1n << 64n) - 1n)).toBeUndefined();
    expect(index.has(1)).toBe(false);
  });

  it('ordinal 0 and the largest storable ordinal are kept (dense stores ordinal + 1)', () => {
    const index = new IdIndex();
    index.set(5, 0);
    index.set(6, MAX_ORD);
    index.set(10 ** 12, MAX_ORD);
    expect(index.get(5)).toBe(0);
    expect(index.get(6)).toBe(MAX_ORD);
    expect(index.get(10 ** 12)).toBe(MAX_ORD);
  });

  it('an id stored in the sparse map and later covered by the growing dense range is still found', () => {
    const index = new IdIndex();
    const model = new Map<IdKey, number>();
    // With few entries, ids at and above 4096 are beyond the dense bound: they go to the map.
    for (const [id, ord] of [
      [5000, 0],
      [8191, 1],
      [12_000, 2],
      [4096, 3],
    ] as const) {
      index.set(id, ord);
      model.set(id, ord);
    }
    expectMatches(index, model, [4095, 4097, 5001]);
    // 2000 entries lift the bound to 4 × 2001: id 8000 now grows the dense range past 8191.
    const keys = Array.from({ length: 2000 }, (_, i) => i);
    const fresh = new Uint8Array(keys.length);
    index.assign(keys, 10, fresh);
    for (const [i, k] of keys.entries()) model.set(k, 10 + i);
    index.set(8000, 9999);
    model.set(8000, 9999);
    expectMatches(index, model, [4095, 4097, 5001, 8190, 8192, 12_001]);
    // Re-setting a moved id updates it in its new home, and assign still sees it as known.
    index.set(5000, 77);
    model.set(5000, 77);
    const f2 = new Uint8Array(2);
    expect(Array.from(index.assign([8191, 12_000], 50_000, f2))).toEqual([1, 2]);
    expect(Array.from(f2)).toEqual([0, 0]);
    expectMatches(index, model, []);
  });

  it('assign: a key repeated within the block gets the ordinal of its first occurrence', () => {
    const index = new IdIndex();
    const fresh = new Uint8Array(6);
    const big = (1n << 64n) - 1n;
    expect(Array.from(index.assign([7, big, 7, 70_000, big, 7], 3, fresh))).toEqual([3, 4, 3, 5, 4, 3]);
    expect(Array.from(fresh)).toEqual([1, 1, 0, 1, 0, 0]);
    // fresh is only ever set, never cleared: a caller's earlier marks survive.
    const marks = new Uint8Array([1, 1]);
    expect(Array.from(index.assign([7, 8], 6, marks))).toEqual([3, 6]);
    expect(Array.from(marks)).toEqual([1, 1]);
  });
});

describe('IdIndex overlay on a base index', () => {
  type OverlayOp = { side: 'base' | 'own'; id: IdKey; ord: number } | { side: 'get'; id: IdKey };
  const overlayOp: fc.Arbitrary<OverlayOp> = fc.oneof(
    fc.record({ side: fc.constantFrom('base' as const, 'own' as const), id: idArb, ord: ordArb }),
    fc.record({ side: fc.constant('get' as const), id: idArb }),
  );

  /** Own entries win; a base entry counts only when its ordinal is below the fork point. */
  const modelGet = (own: Map<IdKey, number>, base: Map<IdKey, number>, limit: number, id: IdKey) => {
    if (own.has(id)) return own.get(id);
    const b = base.get(id);
    return b !== undefined && b < limit ? b : undefined;
  };

  it('random edits on both sides, after the fork', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(idArb, ordArb), { maxLength: 40 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.array(overlayOp, { maxLength: 60 }),
        fc.array(idArb, { maxLength: 30 }),
        (initial, limit, ops, probes) => {
          const base = new IdIndex();
          const baseModel = new Map<IdKey, number>();
          for (const [id, ord] of initial) {
            base.set(id, ord);
            baseModel.set(id, ord);
          }
          const overlay = new IdIndex(base, limit);
          const own = new Map<IdKey, number>();
          expect(overlay.hasBase).toBe(true);
          for (const op of ops) {
            if (op.side === 'get') {
              expect(overlay.get(op.id)).toBe(modelGet(own, baseModel, limit, op.id));
              expect(overlay.has(op.id)).toBe(modelGet(own, baseModel, limit, op.id) !== undefined);
              continue;
            }
            (op.side === 'base' ? base : overlay).set(op.id, op.ord);
            (op.side === 'base' ? baseModel : own).set(op.id, op.ord);
          }
          for (const id of [...own.keys(), ...baseModel.keys(), ...probes])
            expect(overlay.get(id)).toBe(modelGet(own, baseModel, limit, id));
          // Writing to the overlay never changes the base.
          for (const [id, ord] of baseModel) expect(base.get(id)).toBe(ord);
          for (const id of own.keys()) if (!baseModel.has(id)) expect(base.get(id)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('base entries at or above the limit are invisible; own entries shadow base ones', () => {
    const base = new IdIndex();
    base.set(1, 0);
    base.set(2, 1);
    base.set(1n << 60n, 2);
    base.set(9000, 3);
    const overlay = new IdIndex(base, 3); // fork when the base had ordinals 0..2
    base.set(3, 3); // the parent's later id: ordinal past the fork point
    expect(overlay.get(1)).toBe(0);
    expect(overlay.get(2)).toBe(1);
    expect(overlay.get(1n << 60n)).toBe(2);
    expect(overlay.get(9000)).toBeUndefined();
    expect(overlay.get(3)).toBeUndefined();
    expect(overlay.has(3)).toBe(false);
    overlay.set(2, 7);
    overlay.set(3, 8);
    expect(overlay.get(2)).toBe(7);
    expect(overlay.get(3)).toBe(8);
    expect(base.get(2)).toBe(1);
    expect(base.get(3)).toBe(3);
    // The default limit of 0 hides the whole base.
    const blind = new IdIndex(base);
    expect(blind.get(1)).toBeUndefined();
    expect(blind.hasBase).toBe(true);
  });

  it('overlays nest: a grandchild sees through its parent overlay to the root, each limit applying', () => {
    const root = new IdIndex();
    for (let i = 0; i < 10; i++) root.set(i, i);
    const child = new IdIndex(root, 6);
    child.set(3, 100);
    child.set(50, 10);
    const grand = new IdIndex(child, 11);
    expect(grand.get(0)).toBe(0);
    // The child moved id 3 past the grandchild's fork point: the grandchild keeps the ordinal
    // 3 had at its fork, the root's (a branch rewriting an inherited id after the fork).
    expect(grand.get(3)).toBe(3);
    expect(grand.get(5)).toBe(5);
    expect(grand.get(7)).toBeUndefined(); // hidden by the child's limit
    expect(grand.get(50)).toBe(10);
    // An id new to the child after the fork was not there at it, at any level.
    child.set(60, 20);
    expect(grand.get(60)).toBeUndefined();
    // Moved before the fork: the child's new ordinal is the one the grandchild sees.
    child.set(4, 8);
    expect(new IdIndex(child, 11).get(4)).toBe(8);
  });
});
