import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkContentHash, contentHash, crc32 } from '../src/index.js';
import { hex } from './golden.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('content hash (CRC32 in four rotated lanes)', () => {
  it('matches the spec test vector for "123456789"', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(hex(contentHash(ascii('123456789')))).toBe('2639f4cbcb2639f4f4cb263939f4cb26');
  });

  it('is all zero for an empty payload, which means "unset"', () => {
    expect(hex(contentHash(new Uint8Array(0)))).toBe('0'.repeat(32));
    expect(checkContentHash(new Uint8Array(16), ascii('anything'))).toBe('unset');
  });

  it('agrees with zlib crc32 on random data', async () => {
    const { crc32: zcrc } = await import('node:zlib');
    for (let n = 0; n < 50; n++) {
      const data = new Uint8Array(n * 37).map(() => (Math.random() * 256) | 0);
      expect(crc32(data)).toBe(zcrc(data) >>> 0);
    }
  });

  it('detects a changed payload', () => {
    const p = ascii('payload bytes');
    const h = contentHash(p);
    expect(checkContentHash(h, p)).toBe('ok');
    p[3]! ^= 1;
    expect(checkContentHash(h, p)).toBe('mismatch');
  });
});

describe('choosing a CRC-32 implementation', () => {
  const realProcess = globalThis.process;
  const freshCrc32Module = async () => {
    vi.resetModules();
    return import('../src/crc32.js');
  };
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('takes the host zlib.crc32 on first use, not at import', async () => {
    const { crc32: zcrc } = await import('node:zlib');
    const asked: string[] = [];
    let nativeCalls = 0;
    vi.stubGlobal('process', {
      ...realProcess,
      getBuiltinModule: (id: string) => {
        asked.push(id);
        return {
          crc32: (d: Uint8Array, s: number) => {
            nativeCalls++;
            return zcrc(d, s);
          },
        };
      },
    });
    const mod = await freshCrc32Module();
    expect(asked).toEqual([]);
    expect(mod.crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(asked).toEqual(['node:zlib']);
    const callsAfterProbe = nativeCalls;
    expect(mod.crc32(ascii('abc'))).toBe(zcrc(ascii('abc')) >>> 0);
    expect(nativeCalls).toBe(callsAfterProbe + 1);
    expect(asked).toHaveLength(1);
  });

  it('continues from the seed over empty input, even a view of an empty buffer', async () => {
    const mod = await freshCrc32Module();
    for (const empty of [new Uint8Array(0), new Uint8Array(new Float32Array(0).buffer, 0, 0)]) {
      expect(mod.crc32(empty, 0xcbf43926)).toBe(0xcbf43926);
      expect(mod.crc32(empty)).toBe(0);
    }
  });

  it('stays portable where the host has no Node builtins (a browser)', async () => {
    // A host without Node's built-ins (module loading still needs the rest of process).
    vi.stubGlobal('process', { ...realProcess, getBuiltinModule: undefined });
    const mod = await freshCrc32Module();
    expect(mod.crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(mod.crc32(ascii('6789'), mod.crc32(ascii('12345')))).toBe(0xcbf43926);
  });

  it('refuses a host implementation that disagrees with the test vector', async () => {
    vi.stubGlobal('process', {
      ...realProcess,
      getBuiltinModule: () => ({ crc32: () => 7 }),
    });
    const mod = await freshCrc32Module();
    expect(mod.crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(mod.useCrc32Implementation(() => 1)).toBe(false);
    expect(mod.crc32(ascii('123456789'))).toBe(0xcbf43926);
  });
});
