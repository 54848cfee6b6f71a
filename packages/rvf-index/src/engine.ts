import type { Metric } from '@rvfjs/types';
import type { Neighbour } from './top-k.js';

export type { Neighbour } from './top-k.js';

/** Per-query options of a k-NN search, shared by the exact and HNSW engines. */
export interface SearchOptions {
  /** HNSW beam width for this query (ignored by the exact engine). */
  ef?: number;
  /** Only ordinals for which this returns true are returned. */
  filter?: (ordinal: number) => boolean;
  /** Restricts the search to these ordinals; both engines answer this exactly. */
  candidates?: ArrayLike<number>;
}

/**
 * What the runtime sees of either engine: vectors in (by dense ordinal), neighbours out. Neither
 * engine knows user ids, metadata or files; `serialize` (HNSW only) returns bytes the runtime
 * stores wherever it likes.
 */
export interface VectorIndex {
  readonly kind: 'hnsw' | 'exact';
  readonly dimension: number;
  readonly metric: Metric;
  /** Ordinals this index holds, deleted ones included. */
  readonly count: number;
  /** Ordinals this index holds and would return. */
  readonly liveCount: number;
  /** Inserts, or replaces the vector of an ordinal already held (which also undeletes it). */
  add(ordinal: number, vector: Float32Array): void;
  /** Hides an ordinal from results; a no-op for an unknown or already deleted ordinal. */
  markDeleted(ordinal: number): void;
  isDeleted(ordinal: number): boolean;
  /** Ascending by distance, ties by ascending ordinal; at most k results. */
  search(query: Float32Array, k: number, opts?: SearchOptions): Neighbour[];
  serialize?(): Uint8Array;
}
