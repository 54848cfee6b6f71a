import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitmapCount, bitmapHas, bitmapSet, emptyBitmap } from '../src/index.js';

// Independent answers: count and test bits one at a time with BigInt arithmetic.
const naiveCount = (b: Uint8Array) => {
  let n = 0;
  for (let i = 0n; i < BigInt(b.length) * 8n; i++) if ((BigInt(b[Number(i >> 3n)]!) >> (i & 7n)) & 1n) n++;
  return n;
};

describe('membership bitmaps', () => {
  it('bitmapCount counts every set bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(bitmapCount(bytes)).toBe(naiveCount(bytes));
      }),
    );
  });

  it('bitmapCount counts views at every alignment, across whole words and ragged ends', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.nat(7),
        fc.nat(7),
        (bytes, from, cut) => {
          const view = bytes.subarray(Math.min(from, bytes.length), Math.max(from, bytes.length - cut));
          expect(bitmapCount(view)).toBe(naiveCount(view));
        },
      ),
    );
    const full = new Uint8Array(4099).fill(0xff);
    expect(bitmapCount(full)).toBe(4099 * 8);
    expect(bitmapCount(full.subarray(1))).toBe(4098 * 8);
  });

  it('bitmapHas agrees for numbers and bigints, in and out of range', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: -5, max: 600 }),
        (bytes, id) => {
          const inRange = id >= 0 && id < bytes.length * 8;
          const want = inRange && ((bytes[id >> 3]! >> (id & 7)) & 1) === 1;
          expect(bitmapHas(bytes, id)).toBe(want);
          expect(bitmapHas(bytes, BigInt(id))).toBe(want);
        },
      ),
    );
    expect(bitmapHas(new Uint8Array([255]), 1.5)).toBe(false);
    expect(bitmapHas(new Uint8Array([255]), Number.NaN)).toBe(false);
  });

  it('bitmapSet then bitmapHas round-trips; ids outside the bitmap are ignored', () => {
    const b = emptyBitmap(100);
    expect(b.length).toBe(16); // whole u64 words
    bitmapSet(b, 99, true);
    bitmapSet(b, 128, true); // outside: no effect
    expect(bitmapHas(b, 99)).toBe(true);
    expect(bitmapCount(b)).toBe(1);
    bitmapSet(b, 99, false);
    expect(bitmapCount(b)).toBe(0);
  });
});
