import type { Metric } from '@rvfjs/types';
import type { GraphMembers } from './hnsw.js';

/** The parameters a graph worker builds its HNSW index with. */
export interface GraphBuildParams {
  dimension: number;
  metric: Metric;
  m: number;
  efConstruction: number;
  efSearch: number;
  /** Expected number of vectors (hnswlib allocates for it and doubles beyond). */
  capacity: number;
}

/** Messages between a GraphThread (event-loop side) and its worker (graph-worker.ts). */
export type GraphRequest =
  | ({ op: 'build' } & GraphBuildParams)
  /** Inserts (or replaces) these ordinals' vectors: ordinals.length × dimension floats. */
  | { op: 'add'; ordinals: Uint32Array; vectors: Float32Array }
  /** Writes the built graph's hnswlib file to `path`; answered with its blob and members. */
  | { op: 'save'; id: number; path: string }
  /**
   * Checks a saved blob against `count` vectors (shared memory where possible) and writes
   * the hnswlib file it stands for to `path`; answered with its members.
   */
  | {
      op: 'prepare';
      id: number;
      blob: Uint8Array;
      vectors: Float32Array;
      dimension: number;
      count: number;
      path: string;
    };

export type GraphReply =
  | { op: 'added'; total: number }
  | { op: 'saved'; id: number; blob: Uint8Array; members: GraphMembers }
  | { op: 'prepared'; id: number; members: GraphMembers | undefined }
  /** A request failed (`id`), or the build did (no id): the error's code and message. */
  | { op: 'failed'; id?: number; code?: number; message: string };
