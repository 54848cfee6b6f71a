import type { FilterInput, IdInput, QueryOptions, RvfStore } from '@rvfjs/runtime';
import { errorName, rvfError } from '@rvfjs/types';
import type { FastifyInstance } from 'fastify';
import { HttpError, isRvfError, rvfMessage } from './errors.js';
import { batchTooLarge, checkIngest, type IngestRequest, parseId } from './ingest-check.js';
import type { RouteContext } from './route-context.js';
import { schemas } from './schemas.js';
import { checkBounded } from './store-options.js';

interface NameParams {
  name: string;
}

interface QueryRequest {
  vector: number[];
  k: number;
  filter?: unknown;
  efSearch?: number;
  includeMetadata?: boolean;
  plan?: 'auto' | 'exact' | 'hnsw';
}

/** Routes about vectors: ingest, fetch by id, query (one or a batch), delete. */
export function vectorRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry, limits, metrics } = ctx;

  /** One query, with the server's bounds on k and efSearch (the library checks only that they are ≥ 1). */
  const runQuery = (store: RvfStore, q: QueryRequest) => {
    if (typeof q.k === 'number' && q.k > limits.k)
      throw rvfError('KTooLarge', `k is ${q.k}; this server answers at most ${limits.k} neighbours`);
    const opts: QueryOptions = {};
    if (q.filter !== undefined && q.filter !== null) opts.filter = q.filter as FilterInput | string;
    if (q.efSearch !== undefined) opts.efSearch = checkBounded('efSearch', q.efSearch);
    if (q.includeMetadata !== undefined) opts.includeMetadata = q.includeMetadata;
    if (q.plan !== undefined) opts.plan = q.plan;
    return store.query(q.vector, q.k, opts);
  };

  const parseIds = (ids: unknown[]): IdInput[] => {
    if (ids.length > limits.batchItems) throw batchTooLarge(ids.length, limits.batchItems);
    return ids.map((id, i) => parseId(id, `ids[${i}]`));
  };

  const vectorOf = (store: RvfStore, id: IdInput, includeMetadata: boolean) => {
    const found = store.get(id);
    if (!found) return null;
    return {
      id,
      vector: Array.from(found.vector),
      ...(includeMetadata && found.metadata ? { metadata: found.metadata } : {}),
    };
  };

  app.post<{ Params: NameParams; Body: IngestRequest }>(
    '/stores/:name/vectors',
    { config: { access: 'write' }, schema: schemas.ingest },
    async (request) => {
      const store = await registry.get(request.params.name);
      const { vectors, ids, metadata } = checkIngest(request.body, store.dimension, limits.batchItems);
      const { skipInvalid } = request.body;
      const result = await store.ingestBatch(
        vectors,
        ids,
        metadata,
        skipInvalid === undefined ? {} : { skipInvalid },
      );
      metrics.ingestedVectors.inc(result.accepted);
      return result;
    },
  );

  app.post<{ Params: NameParams; Body: { ids: unknown[]; includeMetadata?: boolean } }>(
    '/stores/:name/vectors/fetch',
    { config: { access: 'read' }, schema: schemas.fetch },
    async (request) => {
      const store = await registry.get(request.params.name);
      const ids = parseIds(request.body.ids);
      const withMeta = request.body.includeMetadata ?? true;
      return { vectors: ids.map((id) => vectorOf(store, id, withMeta)) };
    },
  );

  app.get<{ Params: NameParams & { id: string }; Querystring: { includeMetadata?: 'true' | 'false' } }>(
    '/stores/:name/vectors/:id',
    { config: { access: 'read' }, schema: schemas.getVector },
    async (request) => {
      const store = await registry.get(request.params.name);
      const id = parseId(request.params.id, 'id');
      const found = vectorOf(store, id, request.query.includeMetadata !== 'false');
      if (!found) {
        throw new HttpError(
          404,
          'VECTOR_NOT_FOUND',
          'VectorNotFound',
          `store '${request.params.name}' has no vector with id ${request.params.id}`,
        );
      }
      return found;
    },
  );

  app.post<{ Params: NameParams; Body: QueryRequest }>(
    '/stores/:name/query',
    { config: { access: 'read' }, schema: schemas.query },
    async (request) => {
      const store = await registry.get(request.params.name);
      const results = await runQuery(store, request.body);
      metrics.queries.inc();
      return { results };
    },
  );

  app.post<{ Params: NameParams; Body: { queries: QueryRequest[] } }>(
    '/stores/:name/query/batch',
    { config: { access: 'read' }, schema: schemas.queryBatch },
    async (request) => {
      const { queries } = request.body;
      if (queries.length > limits.batchQueries) throw batchTooLarge(queries.length, limits.batchQueries);
      const store = await registry.get(request.params.name);
      const results = [];
      for (const [i, q] of queries.entries()) {
        try {
          results.push(await runQuery(store, q));
        } catch (err) {
          // The same error, naming the query it came from.
          if (!isRvfError(err)) throw err;
          throw rvfError(errorName(err.code)!, `queries[${i}]: ${rvfMessage(err)}`, err.details, err);
        }
      }
      metrics.queries.inc(queries.length);
      return { results };
    },
  );

  app.post<{ Params: NameParams; Body: { ids?: unknown[]; filter?: unknown } }>(
    '/stores/:name/delete',
    { config: { access: 'write' }, schema: schemas.delete },
    async (request) => {
      const { ids, filter } = request.body;
      const hasIds = ids !== undefined;
      const hasFilter = filter !== undefined && filter !== null;
      if (hasIds === hasFilter) {
        throw new HttpError(
          400,
          'FST_ERR_VALIDATION',
          'ValidationError',
          'body must have exactly one of ids or filter',
        );
      }
      const store = await registry.get(request.params.name);
      return hasIds ? store.delete(parseIds(ids)) : store.deleteByFilter(filter as FilterInput | string);
    },
  );
}
