import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosineDistance, distance, distanceFn, F32_EPSILON, l2Squared, negDot } from '../src/index.js';
import { closeTo, METRICS, mulberry32, randomVectors, refDistance } from './helpers.js';

describe('distance kernels', () => {
  it.each(METRICS)('%s matches a naive float64 reference on random vectors', (metric) => {
    const rng = mulberry32(7);
    for (const dim of [1, 2, 3, 4, 5, 7, 16, 33, 128, 384]) {
      const flat = randomVectors(40, dim, rng);
      for (let i = 0; i + 1 < 40; i += 2) {
        const a = flat.subarray(i * dim, (i + 1) * dim);
        const b = flat.subarray((i + 1) * dim, (i + 2) * dim);
        const got = distanceFn(metric)(flat, i * dim, flat, (i + 1) * dim, dim);
        const want = refDistance(metric, a, b);
        expect(closeTo(got, want), `${metric} dim ${dim}: ${got} vs ${want}`).toBe(true);
        expect(Math.fround(got)).toBe(got); // an f32 value
        expect(distance(metric, a, b)).toBe(got);
      }
    }
  });

  it('agrees with the reference for arbitrary f32 inputs (property)', () => {
    const f32 = fc.float({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(f32, { minLength: 80, maxLength: 80 }),
        (dim, xs) => {
          const a = Float32Array.from(xs.slice(0, dim));
          const b = Float32Array.from(xs.slice(40, 40 + dim));
          for (const metric of METRICS) {
            const got = distance(metric, a, b);
            const want = refDistance(metric, a, b);
            if (!closeTo(got, want)) return false;
          }
          return true;
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('uses the reference definitions exactly on small hand-checked cases', () => {
    const a = Float32Array.of(1, 2, 3);
    const b = Float32Array.of(4, -5, 6);
    expect(l2Squared(a, 0, b, 0, 3)).toBe(9 + 49 + 9);
    expect(negDot(a, 0, b, 0, 3)).toBe(-(4 - 10 + 18));
    expect(cosineDistance(a, 0, a, 0, 3)).toBeCloseTo(0, 6);
    expect(cosineDistance(a, 0, Float32Array.of(-1, -2, -3), 0, 3)).toBeCloseTo(2, 6);
    expect(Object.is(negDot(Float32Array.of(1, 0), 0, Float32Array.of(0, 1), 0, 2), 0)).toBe(true);
  });

  it('cosine with a zero (or sub-epsilon) vector is exactly 1.0', () => {
    const z = new Float32Array(8);
    const v = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(cosineDistance(z, 0, v, 0, 8)).toBe(1);
    expect(cosineDistance(v, 0, z, 0, 8)).toBe(1);
    expect(cosineDistance(z, 0, z, 0, 8)).toBe(1);
    const tiny = new Float32Array(8).fill(1e-5); // |tiny|²·|tiny|² far below epsilon²
    expect(cosineDistance(tiny, 0, tiny, 0, 8)).toBe(1);
    expect(refDistance('cosine', z, v)).toBe(1);
    expect(F32_EPSILON).toBe(Math.fround(1.1920929e-7));
  });

  it('reads vectors at offsets inside flat storage', () => {
    const flat = Float32Array.of(9, 9, 1, 2, 9, 3, 5);
    expect(l2Squared(flat, 2, flat, 5, 2)).toBe(4 + 9);
  });

  it('rejects an unknown metric and mismatched lengths with RvfError', () => {
    expect(() => distanceFn('manhattan' as never)).toThrow(/MetricUnsupported/);
    expect(() => distance('l2', new Float32Array(2), new Float32Array(3))).toThrow(/DimensionMismatch/);
  });
});
