import { mulberry32, wasmModuleSources } from '@rvfjs/test-kit';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shake256_256, simpleHash } from '../src/index.js';
import { DERIVE_PARENT_RVF, DERIVED_CHILD_PARENT_HASH, L2_D4_N10_FILE_ID } from './fixtures/golden.js';
import { expectRvfError, fromHex, hex, utf8 } from './helpers.js';

/**
 * A deliberately naive transcription of the spec (§3.3), sharing no code or tricks with
 * src/simple-hash.ts: plain numbers, `%` instead of masks, rotation written as
 * multiply/divide.
 */
function naiveSimpleHash(data: Uint8Array): Uint8Array {
  const out: number[] = new Array(32).fill(0);
  data.forEach((byte, i) => {
    const a = i % 32;
    out[a] = ((out[a] as number) + byte) % 256;
    const v = out[a] as number;
    const rotated = ((v * 8) % 256) + Math.floor(v / 32);
    const j = (i + 13) % 32;
    out[j] = ((out[j] as number) + rotated) % 256;
  });
  return Uint8Array.from(out);
}

const u64le = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};

describe('simpleHash', () => {
  it('is 32 zero bytes for empty input', () => {
    expect(hex(simpleHash(new Uint8Array(0)))).toBe('00'.repeat(32));
  });

  it('small inputs worked by hand', () => {
    // One byte 0x01: out[0] = 1, out[13] = rotl8(1, 3) = 8.
    const one = simpleHash(fromHex('01'));
    expect(one[0]).toBe(1);
    expect(one[13]).toBe(8);
    expect(one.reduce((s, b) => s + b, 0)).toBe(9);
    // 0xff: out[0] = 0xff, out[13] = rotl8(0xff, 3) = 0xff.
    const ff = simpleHash(fromHex('ff'));
    expect([ff[0], ff[13]]).toEqual([0xff, 0xff]);
    // 0x21 = 0b0010_0001 rotates to 0b0000_1001 = 0x09: the high bits wrap around.
    expect(simpleHash(fromHex('21'))[13]).toBe(0x09);
    // Wrapping addition: two bytes in the same slot (i = 0 and i = 32).
    const wrap = new Uint8Array(33);
    wrap[0] = 0xf0;
    wrap[32] = 0x20;
    expect(simpleHash(wrap)[0]).toBe(0x10);
  });

  it('matches the naive transcription on short inputs of every length up to 100', () => {
    for (let n = 0; n <= 100; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 31 + 7) & 0xff);
      expect(hex(simpleHash(data)), `length ${n}`).toBe(hex(naiveSimpleHash(data)));
    }
  });

  it('matches the naive transcription on 1000 random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
        expect(hex(simpleHash(data))).toBe(hex(naiveSimpleHash(data)));
      }),
      { numRuns: 1000 },
    );
  });

  it('matches the naive transcription on a 64 KiB tail, and only reads the viewed bytes', () => {
    const big = Uint8Array.from({ length: 65536 + 10 }, (_, i) => (i ^ (i >>> 8)) & 0xff);
    const tail = big.subarray(10);
    expect(hex(simpleHash(tail))).toBe(hex(naiveSimpleHash(tail.slice())));
  });

  it('is not SHAKE-256', () => {
    expect(hex(simpleHash(utf8('abc')))).not.toBe(hex(shake256_256(utf8('abc'))));
  });

  it('reproduces a parent hash the reference computed (derived_child.rvf over derive_parent.rvf)', () => {
    expect(DERIVE_PARENT_RVF.length).toBe(672);
    expect(hex(simpleHash(DERIVE_PARENT_RVF))).toBe(hex(DERIVED_CHILD_PARENT_HASH));
    expect(hex(naiveSimpleHash(DERIVE_PARENT_RVF))).toBe(hex(DERIVED_CHILD_PARENT_HASH));
  });

  it('is consistent with a real reference file id for "l2_d4_n10.rvf"', () => {
    // file_id = simpleHash(utf8(path) ‖ u64 LE creation ns)[0..16]. The creation time isn't
    // recorded, but for a 13-byte path only timestamp bytes 0-2 (-> out[13..15]) and 6-7
    // (-> out[0..1] through the rotated second addition at i = 19, 20) reach the first 16
    // output bytes. Those five bytes, recovered from the id, give a timestamp of
    // 0x18e9_xxxx_xxcd_0656 ns: the same era as this golden set's witness timestamps
    // (0x18e9f46b...), which is what makes this evidence rather than a tautology.
    const path = utf8('l2_d4_n10.rvf');
    for (const middle of [0x000000n, 0xf46b07n, 0xffffffn]) {
      const ns = 0x18e9_0000_0000_0000n | (middle << 24n) | 0xcd0656n;
      const input = new Uint8Array([...path, ...u64le(ns)]);
      expect(hex(simpleHash(input).subarray(0, 16))).toBe(hex(L2_D4_N10_FILE_ID));
    }
    // And the additive structure is visible: id bytes 2..12 are the path bytes 2..12.
    expect(hex(L2_D4_N10_FILE_ID.subarray(2, 13))).toBe(hex(path.subarray(2, 13)));
  });

  it('rejects non-byte input with an RvfError', () => {
    expectRvfError(() => simpleHash('abc' as unknown as Uint8Array), 'InvalidChecksum', /simpleHash input/);
    expectRvfError(() => simpleHash(undefined as unknown as Uint8Array), 'InvalidChecksum', /got undefined/);
  });
});

describe('simpleHash in WebAssembly (inputs of 1 KiB and more)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('the committed module is what simple-hash.wat compiles to', async () => {
    const { committed, compiled } = await wasmModuleSources('simple-hash');
    expect(committed).toBe(compiled);
  });

  it('matches the naive transcription around the 1 KiB switch and across 64 KiB chunks', () => {
    const rng = mulberry32(31);
    for (const n of [1023, 1024, 1025, 4096 + 7, 65535, 65536, 65537, 65536 + 31, 65536 * 2 + 33, 300_001]) {
      const data = Uint8Array.from({ length: n }, () => (rng() * 256) | 0);
      expect(hex(simpleHash(data)), `length ${n}`).toBe(hex(naiveSimpleHash(data)));
    }
  });

  it('matches on all-0xff input, where every slot carries its largest sums', () => {
    for (const n of [1024, 4096 + 5, 65536 + 63]) {
      const data = new Uint8Array(n).fill(0xff);
      expect(hex(simpleHash(data)), `length ${n}`).toBe(hex(naiveSimpleHash(data)));
    }
  });

  it('starts each digest afresh and never returns a view of its memory', () => {
    const a = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
    const first = simpleHash(a);
    simpleHash(new Uint8Array(5000).fill(0xff));
    expect(hex(simpleHash(a))).toBe(hex(first));
    expect(hex(first)).toBe(hex(naiveSimpleHash(a)));
  });

  it('falls back to JavaScript where WebAssembly is missing, with the same bytes', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    const { simpleHash: withoutWasm } = await import('../src/simple-hash.js');
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => (i ^ (i >>> 9)) & 0xff);
    expect(hex(withoutWasm(data))).toBe(hex(naiveSimpleHash(data)));
  });
});
