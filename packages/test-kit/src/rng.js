/**
 * mulberry32: a tiny seeded PRNG, uniform in [0, 1), so that every test run sees the same
 * data and a failure reproduces from its seed. Plain JavaScript, so the benchmarks (run by
 * node without a TypeScript step) share it too.
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
