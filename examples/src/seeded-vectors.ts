/**
 * Vectors from a seeded generator (mulberry32), so every run of an example stores the same
 * data and prints the same neighbours and file sizes.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` vectors of `dimension` components in [-1, 1). */
export function randomVectors(count: number, dimension: number, seed: number): number[][] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => Array.from({ length: dimension }, () => next() * 2 - 1));
}
