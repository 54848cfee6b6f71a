export function vectorsFor(ids: readonly number[], dim: number, seed: number): Float32Array;
