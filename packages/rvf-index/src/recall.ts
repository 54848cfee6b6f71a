import type { Neighbour } from './top-k.js';

type Ordinals = ArrayLike<number> | readonly Neighbour[];

function ordinalsOf(list: Ordinals): number[] {
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = (list as ArrayLike<number | Neighbour>)[i]!;
    out.push(typeof item === 'number' ? item : item.ordinal);
  }
  return out;
}

/**
 * Fraction of the true top-k that `got` found (order ignored). An empty truth counts as perfect
 * recall, since there was nothing to find.
 */
export function recallAtK(truth: Ordinals, got: Ordinals): number {
  const want = ordinalsOf(truth);
  if (want.length === 0) return 1;
  const found = new Set(ordinalsOf(got));
  let hit = 0;
  for (const o of want) if (found.has(o)) hit++;
  return hit / want.length;
}
