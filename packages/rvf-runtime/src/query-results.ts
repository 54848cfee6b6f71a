import { rvfError } from '@rvfjs/types';
import type { FilterInput } from './filter.js';
import type { IdKey } from './ids.js';
import type { FieldTable, MetaScalar } from './metadata.js';
import type { Hit } from './query-engine.js';
import type { VectorTable } from './vector-table.js';

/** Options of query(). */
export interface QueryOptions {
  filter?: FilterInput | string;
  efSearch?: number;
  /** Attach each hit's metadata (default true). */
  includeMetadata?: boolean;
  /**
   * 'auto' (default) plans by filter selectivity; 'exact' always scans; 'hnsw' uses the graph
   * whenever it is complete (with the filter applied during the walk).
   */
  plan?: 'auto' | 'exact' | 'hnsw';
}

/** One hit of query(): its id, its distance to the query, and its metadata unless left out. */
export interface QueryResult {
  id: IdKey;
  distance: number;
  metadata?: Record<string, MetaScalar>;
}

/** Checks that `k` is a positive integer. */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1)
    throw rvfError('InvalidArgument', `k must be a positive integer, got ${String(k)}`);
}

/** Checks the plan and efSearch a query asks for (the filter is parsed by the caller). */
export function checkQueryOptions(options: QueryOptions): void {
  if (options.plan !== undefined && !['auto', 'exact', 'hnsw'].includes(options.plan)) {
    throw rvfError('InvalidArgument', `plan must be 'auto', 'exact' or 'hnsw', got ${String(options.plan)}`);
  }
  if (options.efSearch !== undefined && (!Number.isInteger(options.efSearch) || options.efSearch < 1)) {
    throw rvfError('InvalidArgument', `efSearch must be a positive integer, got ${String(options.efSearch)}`);
  }
}

/** The engine's hits as results: ids, and metadata unless left out. */
export function queryResults(
  hits: readonly Hit[],
  table: VectorTable,
  fields: FieldTable,
  withMetadata: boolean,
): QueryResult[] {
  // Metadata not decoded yet (a fresh open) stays so until a result's metadata is read;
  // the results then read a copy-on-write snapshot, so later writes do not show through.
  const snapshot = withMetadata && table.metadata.pending ? table.metadata.fork() : undefined;
  return hits.map(({ ordinal, distance }): QueryResult => {
    const id = table.idOf(ordinal);
    if (!withMetadata) return { id, distance };
    if (snapshot) return lazyMetadataResult(id, distance, () => snapshot.objectOf(ordinal, fields));
    // Metadata already worked out is converted right away (a few fields read in place):
    // cheaper than a lazy getter's closure per result.
    const metadata = table.metadata.objectOf(ordinal, fields);
    return metadata === undefined ? { id, distance } : { id, distance, metadata };
  });
}

/**
 * A query result whose `metadata` object is built on first read (then kept), for metadata
 * not decoded yet: a query right after open does not decode every record's. An accessor in
 * the literal keeps the object's shape fast (defining the property afterwards measured
 * several times slower per query).
 */
function lazyMetadataResult(
  id: IdKey,
  distance: number,
  read: () => Record<string, MetaScalar> | undefined,
): QueryResult {
  let obj: Record<string, MetaScalar> | undefined;
  let built = false;
  return {
    id,
    distance,
    get metadata() {
      if (!built) {
        obj = read();
        built = true;
      }
      return obj;
    },
  };
}
