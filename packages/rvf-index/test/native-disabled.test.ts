import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32, randomVectors, row } from './helpers.js';
import {
  createHnsw,
  DISABLE_NATIVE_ENV,
  deserializeHnsw,
  ErrorCode,
  ExactIndex,
  exactSearch,
  nativeHnswAvailable,
  nativeHnswLoadError,
  RvfError,
  resetNativeHnswLoader,
  VectorStore,
} from './imports.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distCjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

function withDisabled<T>(fn: () => T): T {
  const saved = process.env[DISABLE_NATIVE_ENV];
  process.env[DISABLE_NATIVE_ENV] = '1';
  resetNativeHnswLoader();
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[DISABLE_NATIVE_ENV];
    else process.env[DISABLE_NATIVE_ENV] = saved;
    resetNativeHnswLoader();
  }
}

describe('without the native add-on', () => {
  afterEach(() => resetNativeHnswLoader());

  it('the exact engine still works and HNSW refuses with PlatformUnsupported', () => {
    // A blob made while native is available, to show loading it is refused cleanly too.
    const blob = nativeHnswAvailable() ? createHnsw(4, 'l2').serialize() : undefined;
    const dim = 16;
    const flat = randomVectors(500, dim, mulberry32(3));
    withDisabled(() => {
      expect(nativeHnswAvailable()).toBe(false);
      expect(String(nativeHnswLoadError())).toMatch(DISABLE_NATIVE_ENV);
      const store = new VectorStore(dim);
      const index = new ExactIndex(store, 'cosine');
      for (let o = 0; o < 500; o++) index.add(o, row(flat, o, dim));
      const query = row(flat, 42, dim);
      expect(index.search(query, 3)[0]).toEqual({ ordinal: 42, distance: 0 });
      expect(index.search(query, 3)).toEqual(
        exactSearch({ vectors: flat, dimension: dim, metric: 'cosine', query, k: 3, count: 500 }),
      );
      let err: unknown;
      try {
        createHnsw(dim, 'l2');
      } catch (e) {
        err = e;
      }
      expect(RvfError.is(err, ErrorCode.PlatformUnsupported)).toBe(true);
      if (blob) {
        const store4 = new VectorStore(4);
        // An empty graph needs a fresh native index, so it is refused the same way.
        expect(() => deserializeHnsw(blob, store4)).toThrow(/PlatformUnsupported/);
      }
    });
    // Re-enabled: the loader tries again rather than remembering the disabled state.
    expect(nativeHnswAvailable()).toBe(nativeHnswLoadError() === undefined);
  });

  // Against the built package in a fresh process: proves import does not dlopen the add-on and the
  // CJS build's createRequire shim works. Needs `pnpm build` first (the package's test order).
  // In CI the build always comes first: a missing dist/ there is a failure, not a skip.
  const distMissing = !existsSync(dist) || !existsSync(distCjs);
  if (distMissing && process.env.CI) throw new Error(`${dist} is missing: CI builds before it tests`);
  describe.skipIf(distMissing)('built package in a child process', () => {
    const script = `
      let dlopens = 0;
      const dlopen = process.dlopen;
      process.dlopen = function (...args) { dlopens++; return dlopen.apply(this, args); };
      const m = await import(${JSON.stringify(pathToFileURL(dist).href)});
      const afterImport = dlopens;
      const available = m.nativeHnswAvailable();
      const store = new m.VectorStore(3);
      const exact = new m.ExactIndex(store, 'l2');
      exact.add(0, Float32Array.of(1, 2, 3));
      exact.add(1, Float32Array.of(0, 0, 0));
      const nearest = exact.search(Float32Array.of(0, 0, 0.5), 1);
      let hnsw = 'ok';
      try { m.createHnsw(3, 'l2').add(0, Float32Array.of(1, 2, 3)); } catch (e) { hnsw = e.name; }
      console.log(JSON.stringify({ afterImport, afterUse: dlopens, available, nearest, hnsw }));
    `;
    const run = (env: Record<string, string>) =>
      JSON.parse(
        execFileSync(process.execPath, ['--input-type=module', '-e', script], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        }),
      );

    it('importing loads no native code; RVF_DISABLE_NATIVE=1 leaves the exact engine working', () => {
      const off = run({ [DISABLE_NATIVE_ENV]: '1' });
      expect(off).toEqual({
        afterImport: 0,
        afterUse: 0,
        available: false,
        nearest: [{ ordinal: 1, distance: 0.25 }],
        hnsw: 'PlatformUnsupported',
      });
      const on = run({ [DISABLE_NATIVE_ENV]: '0' });
      expect(on.afterImport).toBe(0);
      expect(on.nearest).toEqual([{ ordinal: 1, distance: 0.25 }]);
      if (on.available) {
        expect(on.afterUse).toBe(1); // loaded on first use, once
        expect(on.hnsw).toBe('ok');
      }
    });

    it('the CommonJS build loads the add-on lazily too', () => {
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const m = require(${JSON.stringify(distCjs)}); console.log(JSON.stringify([m.nativeHnswAvailable(), typeof m.exactSearch]));`,
        ],
        { encoding: 'utf8', env: { ...process.env, [DISABLE_NATIVE_ENV]: '0' } },
      );
      expect(JSON.parse(out)[1]).toBe('function');
      expect(JSON.parse(out)[0]).toBe(nativeHnswAvailable());
    });
  });
});
