/**
 * LiveIds keeps the visible ids as a bitmap in the MEMBERSHIP layout (bit i = id i, bytes
 * padded to 8 as emptyBitmap does) for small dense ids and in a Set for the rest; which one
 * holds an id is an internal matter (it depends on the `entries` hint and on growth), so any
 * sequence of set() calls must answer exactly as a plain Set would, and toMembership() must
 * equal a bitmap built from that Set by hand. The id mix straddles the thresholds the class
 * decides on: 2^20 (always dense below), 16 × entries (dense while the ids stay that dense),
 * 2^28 (the most a MEMBERSHIP bitmap may hold), and the number/bigint split at 2^53.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IdKey } from '../src/ids.js';
import { LiveIds, MAX_BRANCH_ID } from '../src/live-ids.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const idArb: fc.Arbitrary<IdKey> = fc.oneof(
  fc.integer({ min: 0, max: 80 }),
  fc.integer({ min: 0, max: 5000 }),
  fc.integer({ min: 2 ** 20 - 4, max: 2 ** 20 + 4 }),
  fc.integer({ min: 2 ** 20, max: 2 ** 22 }),
  fc.integer({ min: MAX_BRANCH_ID - 3, max: MAX_BRANCH_ID + 3 }),
  fc.integer({ min: 2 ** 32 - 2, max: 2 ** 32 + 2 }),
  fc.integer({ min: MAX_SAFE - 3, max: MAX_SAFE }),
  fc.bigInt(BigInt(MAX_SAFE) + 1n, (1n << 64n) - 1n),
);

/**
 * The `entries` hint: 0 (nothing may grow the bitmap past 2^20), a few hundred thousand (ids
 * up to a few million become dense), and 2^24 (even ids just under 2^28 are dense; that
 * costs a 32 MiB bitmap, so it is drawn rarely).
 */
const entriesArb = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 3, arbitrary: fc.integer({ min: 2 ** 16, max: 2 ** 18 }) },
  { weight: 1, arbitrary: fc.constant(2 ** 24) },
);

type Op =
  | { kind: 'set'; id: IdKey; live: boolean; entries: number }
  /** Snapshot: clone now, and later check the clone still answers as the model did here. */
  | { kind: 'clone' }
  /** Widens the bitmap ahead of a block (storage only: answers must not change). */
  | { kind: 'reserve'; maxId: number; entries: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      id: idArb,
      live: fc.boolean(),
      entries: entriesArb,
    }),
  },
  // A live id in 2^20..2^22 with an entry count that makes it dense: the bitmap grows over
  // ids parked in the Set earlier (with a small hint), which must move in without loss.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      id: fc.integer({ min: 2 ** 20, max: 2 ** 22 }),
      live: fc.constant(true),
      entries: fc.constant(2 ** 18),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clone' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      maxId: fc.oneof(fc.integer({ min: 0, max: 2 ** 21 }), fc.integer({ min: 2 ** 27, max: 2 ** 28 + 5 })),
      entries: entriesArb,
    }),
  },
);

const representable = (k: IdKey): k is number => typeof k === 'number' && k < MAX_BRANCH_ID;

/** What toMembership must return, computed from the model alone (no emptyBitmap, no LiveIds). */
function expectedMembership(model: ReadonlySet<IdKey>) {
  const bad = [...model].filter((k) => !representable(k));
  if (bad.length > 0) return { unrepresentable: bad };
  let max = -1;
  for (const k of model) if ((k as number) > max) max = k as number;
  const capacity = max + 1;
  // MEMBERSHIP pads the bitmap to whole u64 words.
  const bitmap = new Uint8Array(Math.ceil(capacity / 64) * 8);
  for (const k of model) bitmap[Math.floor((k as number) / 8)]! |= 1 << ((k as number) % 8);
  return { bitmap, capacity };
}

function expectAgrees(live: LiveIds, model: ReadonlySet<IdKey>, probes: Iterable<IdKey>): void {
  for (const k of model) if (!live.has(k)) throw new Error(`has(${String(k)}) is false but the id is live`);
  if (live.size !== model.size) throw new Error(`size ${live.size}, model ${model.size}`);
  for (const k of probes) {
    if (live.has(k) !== model.has(k))
      throw new Error(`has(${String(k)}) = ${live.has(k)}, model ${model.has(k)}`);
  }
  const got = live.toMembership();
  const want = expectedMembership(model);
  if ('unrepresentable' in want) {
    // Any one of the offending ids will do; it must be one of them.
    expect('unrepresentable' in got).toBe(true);
    expect(want.unrepresentable).toContain((got as { unrepresentable: IdKey }).unrepresentable);
    return;
  }
  if (!('bitmap' in got)) throw new Error(`toMembership refused ${String(got.unrepresentable)}`);
  expect(got.capacity).toBe(want.capacity);
  expect(got.count).toBe(model.size);
  expect(got.bitmap.length).toBe(want.bitmap.length);
  // Buffer compare: these bitmaps reach 32 MiB, too big for toEqual's element walk.
  if (
    !Buffer.from(got.bitmap.buffer, got.bitmap.byteOffset, got.bitmap.length).equals(Buffer.from(want.bitmap))
  ) {
    const at = got.bitmap.findIndex((b, i) => b !== want.bitmap[i]);
    throw new Error(`membership bitmap differs at byte ${at}: ${got.bitmap[at]} vs ${want.bitmap[at]}`);
  }
}

/** Internals, read only to prove the test drives both storage paths (not to define behaviour). */
const internals = (live: LiveIds) => live as unknown as { bits: Uint8Array; outside: Set<IdKey> };

describe('LiveIds against a Set model', () => {
  it('random set sequences: has, clone and toMembership agree with the model', () => {
    // How often each storage path was taken over all runs, checked at the end.
    const seen = { parkedThenCovered: 0, bitmapBits: 0, outsideNumbers: 0, bigints: 0 };
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 20, maxLength: 60 }),
        fc.array(idArb, { maxLength: 20 }),
        (ops, probes) => {
          const live = new LiveIds();
          const model = new Set<IdKey>();
          const snapshots: { twin: LiveIds; model: Set<IdKey> }[] = [];
          const touched: IdKey[] = [...probes];
          for (const op of ops) {
            if (op.kind === 'clone') {
              snapshots.push({ twin: live.clone(), model: new Set(model) });
              continue;
            }
            if (op.kind === 'reserve') {
              const parked = new Set(internals(live).outside);
              live.reserve(op.maxId, op.entries);
              for (const k of parked) {
                if (typeof k === 'number' && k < internals(live).bits.length * 8) seen.parkedThenCovered++;
              }
              continue;
            }
            const parked = new Set(internals(live).outside);
            live.set(op.id, op.live, op.entries);
            if (op.live) model.add(op.id);
            else model.delete(op.id);
            touched.push(op.id);
            // The id just set answers at once, whichever path it took.
            expect(live.has(op.id)).toBe(op.live);
            for (const k of parked) {
              if (typeof k === 'number' && k < internals(live).bits.length * 8) seen.parkedThenCovered++;
            }
          }
          for (const k of model) {
            if (typeof k === 'bigint') seen.bigints++;
            else if (internals(live).outside.has(k)) seen.outsideNumbers++;
            else seen.bitmapBits++;
          }
          expectAgrees(live, model, touched);
          // Clones answer as the model did when they were taken, whatever the original did since…
          for (const s of snapshots) expectAgrees(s.twin, s.model, touched);
          // …and writing to a clone leaves the original alone.
          for (const s of snapshots) {
            for (const k of touched) s.twin.set(k, !s.model.has(k), 0);
            expectAgrees(live, model, touched);
          }
        },
      ),
      { numRuns: 200 },
    );
    // The model comparison means little unless ids went through each storage path.
    expect(seen.bitmapBits).toBeGreaterThan(0);
    expect(seen.outsideNumbers).toBeGreaterThan(0);
    expect(seen.bigints).toBeGreaterThan(0);
    expect(seen.parkedThenCovered).toBeGreaterThan(0);
  });

  it('addRun of ids it does not hold answers as setting each one would, at any alignment', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 4000 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 5000 }),
        (before, first, n, entries) => {
          const live = new LiveIds();
          const model = new Set<IdKey>();
          for (const id of before) {
            if (id >= first && id < first + n) continue; // addRun is for ids the set lacks
            live.set(id, true, entries);
            model.add(id);
          }
          live.addRun(first, n, entries);
          for (let id = first; id < first + n; id++) model.add(id);
          const probes = [first - 1, first, first + n - 1, first + n, ...before];
          expectAgrees(
            live,
            model,
            probes.filter((k) => k >= 0),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an id parked in the Set moves into the bitmap when growth covers it, and keeps answering', () => {
    const live = new LiveIds();
    const parked = 2 ** 20 + 5; // above the always-dense range, and far sparser than 16 × 1 entry
    live.set(parked, true, 0);
    expect(internals(live).outside.has(parked)).toBe(true);
    // 2^21 is dense for 2^18 entries: the bitmap grows past the parked id, which moves in.
    live.set(2 ** 21, true, 2 ** 18);
    expect(internals(live).outside.size).toBe(0);
    expect(live.has(parked)).toBe(true);
    expect(live.has(2 ** 21)).toBe(true);
    expect(live.has(parked + 1)).toBe(false);
    // Hiding it now clears its bit (there is no stale copy left in the Set to resurrect it).
    live.set(parked, false, 0);
    expect(live.has(parked)).toBe(false);
    expectAgrees(live, new Set([2 ** 21]), [parked, 2 ** 21, 0]);
  });

  it('toMembership: empty, a lone id 0, padding to 8 bytes, and the 2^28 boundary', () => {
    const empty = new LiveIds().toMembership();
    expect(empty).toEqual({ bitmap: new Uint8Array(0), capacity: 0, count: 0 });

    const zero = new LiveIds();
    zero.set(0, true, 0);
    expect(zero.toMembership()).toEqual({
      bitmap: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0),
      capacity: 1,
      count: 1,
    });

    // 64 ids need exactly one 8-byte word; id 64 needs a second one.
    const word = new LiveIds();
    word.set(63, true, 0);
    expect(word.toMembership()).toMatchObject({ capacity: 64 });
    expect((word.toMembership() as { bitmap: Uint8Array }).bitmap.length).toBe(8);
    word.set(64, true, 0);
    expect((word.toMembership() as { bitmap: Uint8Array }).bitmap.length).toBe(16);

    // The largest id a MEMBERSHIP bitmap holds is 2^28 − 1, whether it sits in the Set or the bitmap.
    for (const entries of [0, 2 ** 24]) {
      const top = new LiveIds();
      top.set(MAX_BRANCH_ID - 1, true, entries);
      const m = top.toMembership();
      expect(m).toMatchObject({ capacity: MAX_BRANCH_ID });
      expectAgrees(top, new Set([MAX_BRANCH_ID - 1]), [MAX_BRANCH_ID - 2]);
      top.set(MAX_BRANCH_ID, true, entries);
      expect(top.toMembership()).toEqual({ unrepresentable: MAX_BRANCH_ID });
      // Hiding the offending id makes the set representable again.
      top.set(MAX_BRANCH_ID, false, entries);
      expect(top.toMembership()).toMatchObject({ capacity: MAX_BRANCH_ID });
    }
    const big = new LiveIds();
    big.set(3, true, 0);
    big.set(1n << 60n, true, 0);
    expect(big.toMembership()).toEqual({ unrepresentable: 1n << 60n });
    big.set(1n << 60n, false, 0);
    expect(big.toMembership()).toEqual({
      bitmap: Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0),
      capacity: 4,
      count: 1,
    });
  });

  it('a bitmap passed to the constructor is taken as the live set; clones do not share it', () => {
    const bits = Uint8Array.of(0b101, 0, 0, 0, 0, 0, 0, 0x80); // ids 0, 2 and 63
    const live = new LiveIds(bits);
    expectAgrees(live, new Set([0, 2, 63]), [1, 3, 62, 64]);
    const twin = live.clone();
    twin.set(2, false, 0);
    twin.set(7, true, 0);
    expect(live.has(2)).toBe(true);
    expect(live.has(7)).toBe(false);
    expectAgrees(twin, new Set([0, 7, 63]), [2]);
  });
});
