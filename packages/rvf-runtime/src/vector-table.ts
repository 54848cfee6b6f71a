import type { MetaValue } from '@rvfjs/wire';
import type { IdKey } from './ids.js';

/**
 * The store's own vectors: user id ↔ dense ordinal, vectors flat by ordinal, metadata by
 * ordinal. Ordinals are assigned in first-appearance order while VEC records are replayed,
 * so a reopened store rebuilds exactly the ordinals its writer had (the saved index relies
 * on that). A re-ingested id keeps its ordinal; its vector and metadata are replaced.
 */
export class VectorTable {
  readonly ordinalOf = new Map<IdKey, number>();
  ids: IdKey[] = [];
  vectors: Float32Array;
  metadata: (MetaValue[] | undefined)[] = [];
  /** Tombstoned ids of this file (the manifest's deleted list). */
  readonly deleted = new Set<IdKey>();

  constructor(readonly dimension: number, capacity = 1024) {
    this.vectors = new Float32Array(Math.max(1, capacity) * dimension);
  }

  get count(): number {
    return this.ids.length;
  }

  get liveCount(): number {
    return this.ids.length - this.deleted.size;
  }

  /** Inserts or replaces; returns the ordinal. */
  put(id: IdKey, vector: Float32Array, offset = 0): number {
    let ord = this.ordinalOf.get(id);
    if (ord === undefined) {
      ord = this.ids.length;
      this.ensureCapacity(ord + 1);
      this.ids.push(id);
      this.metadata.push(undefined);
      this.ordinalOf.set(id, ord);
    }
    const d = this.dimension;
    this.vectors.set(vector.subarray(offset, offset + d), ord * d);
    return ord;
  }

  vectorOf(ord: number): Float32Array {
    return this.vectors.subarray(ord * this.dimension, (ord + 1) * this.dimension);
  }

  isLive(ord: number): boolean {
    return !this.deleted.has(this.ids[ord]!);
  }

  private ensureCapacity(n: number): void {
    if (n * this.dimension <= this.vectors.length) return;
    let cap = this.vectors.length / this.dimension;
    while (cap < n) cap *= 2;
    const next = new Float32Array(cap * this.dimension);
    next.set(this.vectors);
    this.vectors = next;
  }
}
