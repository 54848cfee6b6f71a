export type ReferenceMetric = 'l2' | 'inner_product' | 'cosine';

/** Seeded PRNG (mulberry32), uniform in [0, 1). */
export function mulberry32(seed: number): () => number;

/** A fresh folder under the OS temp directory, and a function that removes it. */
export function tempDir(prefix?: string): { dir: string; cleanup: () => void };

/**
 * Spec §18's distances in float64 over `dim` components of `a` (from `aOff`) and `b`
 * (from `bOff`), independent of the library's kernels.
 */
export function referenceDistance(
  metric: ReferenceMetric,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim?: number,
  aOff?: number,
  bOff?: number,
): number;
