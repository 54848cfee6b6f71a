import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_SHAKE256_OUTPUT, shake256, shake256_256 } from '../src/index.js';
import { expectRvfError, fromHex, hex, utf8 } from './helpers.js';

/** Node's OpenSSL SHAKE-256: an implementation independent of @noble/hashes. */
const nodeShake256 = (data: Uint8Array, outLen: number): string =>
  createHash('shake256', { outputLength: outLen }).update(data).digest('hex');

describe('shake256 — published vectors', () => {
  it('empty input, 256-bit output', () => {
    const expected = '46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f';
    expect(hex(shake256_256(new Uint8Array(0)))).toBe(expected);
    expect(hex(shake256(new Uint8Array(0), 32))).toBe(expected);
    expect(nodeShake256(new Uint8Array(0), 32)).toBe(expected);
  });

  it('"abc", 256-bit output', () => {
    const expected = '483366601360a8771c6863080cc4114d8db44530f8f1e1ee4f94ea37e78b5739';
    expect(hex(shake256_256(utf8('abc')))).toBe(expected);
    expect(nodeShake256(utf8('abc'), 32)).toBe(expected);
  });

  it('NIST example: 200 bytes of 0xA3 (1600-bit message), first 512 output bits', () => {
    const expected =
      'cd8a920ed141aa0407a22d59288652e9d9f1a7ee0c1e7c1ca699424da84a904d' +
      '2d700caae7396ece96604440577da4f3aa22aeb8857f961c4cd8e06f0ae6610b';
    const message = new Uint8Array(200).fill(0xa3);
    expect(hex(shake256(message, 64))).toBe(expected);
    expect(nodeShake256(message, 64)).toBe(expected);
  });

  it('is an XOF: a shorter output is a prefix of a longer one', () => {
    const message = utf8('rvf witness');
    const long = shake256(message, 200);
    expect(long.length).toBe(200);
    expect(hex(shake256(message, 17))).toBe(hex(long.subarray(0, 17)));
    expect(hex(shake256_256(message))).toBe(hex(long.subarray(0, 32)));
  });
});

describe('shake256 — agrees with Node crypto on random inputs', () => {
  it('random data and output lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 300 }), (data, outLen) => {
        expect(hex(shake256(data, outLen))).toBe(nodeShake256(data, outLen));
      }),
      { numRuns: 300 },
    );
  });

  it('inputs around the 136-byte rate boundary', () => {
    for (const n of [135, 136, 137, 271, 272, 273]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
      expect(hex(shake256_256(data)), `length ${n}`).toBe(nodeShake256(data, 32));
    }
  });

  it('hashes only the viewed bytes of a subarray', () => {
    const backing = fromHex('ff00112233ff');
    expect(hex(shake256_256(backing.subarray(1, 5)))).toBe(nodeShake256(fromHex('00112233'), 32));
  });
});

describe('shake256 — input validation', () => {
  it('rejects non-byte data with an RvfError', () => {
    expectRvfError(
      () => shake256('abc' as unknown as Uint8Array, 32),
      'InvalidChecksum',
      /Uint8Array, got string/,
    );
    expectRvfError(() => shake256_256([1, 2] as unknown as Uint8Array), 'InvalidChecksum', /got Array/);
    expectRvfError(
      () => shake256_256(new Uint16Array(2) as unknown as Uint8Array),
      'InvalidChecksum',
      /Uint16Array/,
    );
  });

  it('rejects bad output lengths', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, MAX_SHAKE256_OUTPUT + 1]) {
      expectRvfError(() => shake256(new Uint8Array(1), bad), 'InvalidChecksum', /output length/);
    }
    expectRvfError(
      () => shake256(new Uint8Array(1), '32' as unknown as number),
      'InvalidChecksum',
      /output length/,
    );
  });
});

describe('shake256 — native where the host has it, @noble/hashes elsewhere', () => {
  const realProcess = globalThis.process;
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  const freshModule = async () => {
    vi.resetModules();
    return import('../src/shake256.js');
  };
  const vectors: [Uint8Array, number, string][] = [
    [new Uint8Array(0), 32, '46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f'],
    [utf8('abc'), 32, '483366601360a8771c6863080cc4114d8db44530f8f1e1ee4f94ea37e78b5739'],
  ];

  it('uses node:crypto on Node, and gives plain Uint8Arrays', async () => {
    const asked: string[] = [];
    vi.stubGlobal('process', {
      ...realProcess,
      getBuiltinModule: (id: string) => {
        asked.push(id);
        return realProcess.getBuiltinModule(id);
      },
    });
    const mod = await freshModule();
    for (const [data, len, want] of vectors) expect(hex(mod.shake256(data, len))).toBe(want);
    expect(asked).toEqual(['node:crypto']);
    expect(Object.getPrototypeOf(mod.shake256_256(utf8('x')))).toBe(Uint8Array.prototype);
  });

  it('uses @noble/hashes without a host (a browser), with the same bytes', async () => {
    // A host without Node's built-ins (module loading still needs the rest of process).
    vi.stubGlobal('process', { ...realProcess, getBuiltinModule: undefined });
    const mod = await freshModule();
    for (const [data, len, want] of vectors) expect(hex(mod.shake256(data, len))).toBe(want);
    const data = new Uint8Array(1000).map((_, i) => i * 13);
    expect(hex(mod.shake256(data, 77))).toBe(nodeShake256(data, 77));
  });

  it('refuses a host SHAKE-256 that fails the test vector', async () => {
    vi.stubGlobal('process', {
      ...realProcess,
      getBuiltinModule: () => ({
        createHash: () => ({ update: () => ({ digest: () => new Uint8Array(32) }) }),
      }),
    });
    const mod = await freshModule();
    for (const [data, len, want] of vectors) expect(hex(mod.shake256(data, len))).toBe(want);
  });
});
