import type { QueryResult } from '@rvfjs/runtime';
import type { CommandOutcome } from '../command-outcome.js';
import { parseFilterArgument } from '../filter-argument.js';
import { checkFilterAgainstStore } from '../filter-check.js';
import { withStore } from '../store-session.js';
import { formatMetadata, formatTable } from '../table.js';
import { parseVectorArgument } from '../vector-argument.js';

export interface QueryOptions {
  vector: string;
  k: number;
  filter?: string;
  ef?: number;
  plan?: 'auto' | 'exact' | 'hnsw';
  lenientFilter?: boolean;
}

/** `query --json`: the hits, nearest first. */
export interface QueryDocument {
  results: QueryResult[];
}

export async function queryCommand(path: string, o: QueryOptions): Promise<CommandOutcome> {
  const vector = parseVectorArgument(o.vector);
  const filter = o.filter !== undefined ? parseFilterArgument(o.filter) : undefined;
  const results = await withStore(path, { readOnly: true }, async (store) => {
    if (filter && !o.lenientFilter) await checkFilterAgainstStore(store, filter);
    return store.query(vector, o.k, {
      ...(filter ? { filter } : {}),
      ...(o.ef !== undefined ? { efSearch: o.ef } : {}),
      ...(o.plan ? { plan: o.plan } : {}),
    });
  });
  const doc: QueryDocument = { results };
  return {
    json: doc,
    human: () =>
      results.length === 0
        ? 'no results'
        : formatTable(
            [
              { header: '#', align: 'right' },
              { header: 'id', align: 'right' },
              { header: 'distance', align: 'right' },
              { header: 'metadata' },
            ],
            results.map((r, i) => [
              String(i + 1),
              String(r.id),
              String(Number(r.distance.toPrecision(6))),
              formatMetadata(r.metadata),
            ]),
          ),
  };
}
