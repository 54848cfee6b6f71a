import { exactSearch } from '@rvfjs/index';
import type { Metric } from '@rvfjs/types';
import type { VectorTable } from './vector-table.js';

export interface Hit {
  ordinal: number;
  distance: number;
}

/** Exact k-NN over the table's live ordinals that `accept` admits. */
export function searchTable(
  table: VectorTable,
  metric: Metric,
  query: Float32Array,
  k: number,
  accept?: (ordinal: number) => boolean,
): Hit[] {
  return exactSearch({
    vectors: table.vectors,
    dimension: table.dimension,
    metric,
    query,
    k,
    count: table.count,
    accept,
  });
}
