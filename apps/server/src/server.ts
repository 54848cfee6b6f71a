import { sep } from 'node:path';
import { Readable } from 'node:stream';
import {
  type CreateOptions,
  type FilterInput,
  type IdInput,
  type MetadataInput,
  type QueryOptions,
  RvfStore,
  type VectorInput,
  type VectorsInput,
} from '@rvfjs/runtime';
import type { Metric } from '@rvfjs/types';
import { type FastifyInstance, type FastifyServerOptions, fastify } from 'fastify';
import { HttpError, toErrorResponse } from './errors.js';
import { idsFromJson, toJson } from './json.js';
import { StoreRegistry } from './registry.js';

export interface ServerOptions {
  /** Folder holding the `*.rvf` stores (created on start if missing). */
  dataDir: string;
  /** Fastify's logger option (default off). */
  logger?: FastifyServerOptions['logger'];
  /** Largest JSON request body in bytes (default 64 MiB). NDJSON imports are streamed and not capped. */
  bodyLimit?: number;
  /** The library's indexThreshold for every handle: below it queries scan exactly (library default 1024). */
  indexThreshold?: number;
}

interface NameParams {
  name: string;
}

interface CreateBody {
  name: string;
  dimension: number;
  metric?: Metric;
  profile?: number;
  m?: number;
  efConstruction?: number;
  efSearch?: number;
}

interface IngestBody {
  vectors: unknown;
  ids: unknown[];
  metadata?: unknown;
  skipInvalid?: boolean;
}

interface QueryBody {
  vector: unknown;
  k: number;
  filter?: unknown;
  efSearch?: number;
  includeMetadata?: boolean;
  plan?: 'auto' | 'exact' | 'hnsw';
}

interface DeleteBody {
  ids?: unknown[];
  filter?: unknown;
}

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' } },
} as const;

/** A filter is the library's: its JSON object form, or that object as JSON text. */
const filterSchema = { type: ['object', 'string', 'null'] } as const;

const schemas = {
  create: {
    type: 'object',
    required: ['name', 'dimension'],
    properties: {
      name: { type: 'string' },
      // Numbers, not integers: the library refuses 1.5 with its own code (InvalidId).
      dimension: { type: 'number' },
      metric: { type: 'string' },
      profile: { type: 'number' },
      m: { type: 'number' },
      efConstruction: { type: 'number' },
      efSearch: { type: 'number' },
    },
  },
  ingest: {
    type: 'object',
    required: ['vectors', 'ids'],
    properties: {
      vectors: { type: 'array' },
      ids: { type: 'array' },
      metadata: { type: ['array', 'null'] },
      skipInvalid: { type: 'boolean' },
    },
  },
  query: {
    type: 'object',
    required: ['vector', 'k'],
    properties: {
      vector: { type: 'array' },
      k: { type: 'number' },
      filter: filterSchema,
      efSearch: { type: 'number' },
      includeMetadata: { type: 'boolean' },
      plan: { type: 'string', enum: ['auto', 'exact', 'hnsw'] },
    },
  },
  delete: {
    type: 'object',
    properties: { ids: { type: 'array' }, filter: filterSchema },
  },
  compact: {
    type: ['object', 'null'],
    properties: { force: { type: 'boolean' } },
  },
  branch: {
    type: 'object',
    required: ['child'],
    properties: { child: { type: 'string' } },
  },
} as const;

const NDJSON = 'application/x-ndjson';

/**
 * The HTTP/JSON server over every `*.rvf` store of `options.dataDir`. Handles open on first
 * use and stay open until the server closes. Library errors become
 * `{ error: { code: '0x0203', name: 'FilterParseError', message } }` with a status by
 * category (see errors.ts).
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const handleOptions =
    options.indexThreshold === undefined ? {} : { indexThreshold: options.indexThreshold };
  const registry = new StoreRegistry(options.dataDir, handleOptions);
  const app = fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024,
    routerOptions: { maxParamLength: 256 },
    // Types are checked, never coerced: "5" is not a k, null is not a 0.
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
  });

  const dirPrefix = `${registry.dataDir}${sep}`;
  const redact = (s: string) => s.split(dirPrefix).join('');

  app.setReplySerializer((payload) => toJson(payload));

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toErrorResponse(err, redact);
    if (status >= 500) request.log.error(err);
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'NOT_FOUND', name: 'NotFound', message: `no route ${request.method} ${request.url}` },
    }),
  );

  // NDJSON bodies reach the handler as the raw request stream (import streams them).
  app.addContentTypeParser([NDJSON, 'application/jsonl'], (_request, payload, done) => done(null, payload));

  app.addHook('onReady', () => registry.ensureDir());
  app.addHook('onClose', () => registry.closeAll());

  /** Everything GET /stores/:name reports. */
  const describe = (name: string, store: RvfStore) => ({
    name,
    ...store.status(),
    fileId: store.fileId,
    parentId: store.parentId,
    /** The parent store's name when it lives in this data directory. */
    parent: store.parentPath ? (registry.nameOf(store.parentPath) ?? null) : null,
    lineageDepth: store.lineageDepth,
    fieldNames: store.fieldNames(),
    cowStats: store.cowStats() ?? null,
    membershipFilter: store.membershipFilter() ?? null,
  });

  app.get('/health', async () => ({ ok: true }));

  app.get('/stores', async () => {
    const stores = [];
    for (const name of await registry.names()) {
      try {
        stores.push({ name, status: (await registry.get(name)).status() });
      } catch (err) {
        stores.push({ name, error: toErrorResponse(err, redact).body.error });
      }
    }
    return { stores };
  });

  app.post<{ Body: CreateBody }>('/stores', { schema: { body: schemas.create } }, async (request, reply) => {
    const { name, dimension, metric, profile, m, efConstruction, efSearch } = request.body;
    const opts: CreateOptions = { dimension, ...handleOptions };
    if (metric !== undefined) opts.metric = metric;
    if (profile !== undefined) opts.profile = profile;
    if (m !== undefined) opts.m = m;
    if (efConstruction !== undefined) opts.efConstruction = efConstruction;
    if (efSearch !== undefined) opts.efSearch = efSearch;
    const store = await registry.add(name, (path) => RvfStore.create(path, opts));
    return reply.code(201).send(describe(name, store));
  });

  app.get<{ Params: NameParams }>('/stores/:name', { schema: { params: nameParams } }, async (request) => {
    const { name } = request.params;
    return describe(name, await registry.get(name));
  });

  app.post<{ Params: NameParams; Body: IngestBody }>(
    '/stores/:name/vectors',
    { schema: { params: nameParams, body: schemas.ingest } },
    async (request) => {
      const store = await registry.get(request.params.name);
      const { vectors, ids, metadata, skipInvalid } = request.body;
      return store.ingestBatch(
        vectors as VectorsInput,
        idsFromJson(ids) as IdInput[],
        (metadata ?? undefined) as MetadataInput | undefined,
        skipInvalid === undefined ? {} : { skipInvalid },
      );
    },
  );

  app.post<{ Params: NameParams; Body: QueryBody }>(
    '/stores/:name/query',
    { schema: { params: nameParams, body: schemas.query } },
    async (request) => {
      const store = await registry.get(request.params.name);
      const { vector, k, filter, efSearch, includeMetadata, plan } = request.body;
      const opts: QueryOptions = {};
      if (filter !== undefined && filter !== null) opts.filter = filter as FilterInput | string;
      if (efSearch !== undefined) opts.efSearch = efSearch;
      if (includeMetadata !== undefined) opts.includeMetadata = includeMetadata;
      if (plan !== undefined) opts.plan = plan;
      return { results: await store.query(vector as VectorInput, k, opts) };
    },
  );

  app.post<{ Params: NameParams; Body: DeleteBody }>(
    '/stores/:name/delete',
    { schema: { params: nameParams, body: schemas.delete } },
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
      return hasIds
        ? store.delete(idsFromJson(ids) as IdInput[])
        : store.deleteByFilter(filter as FilterInput | string);
    },
  );

  app.post<{ Params: NameParams; Body: { force?: boolean } | null | undefined }>(
    '/stores/:name/compact',
    { schema: { params: nameParams, body: schemas.compact } },
    async (request) => {
      const store = await registry.get(request.params.name);
      return store.compact({ force: request.body?.force ?? false });
    },
  );

  app.post<{ Params: NameParams }>(
    '/stores/:name/freeze',
    { schema: { params: nameParams } },
    async (request) => {
      const store = await registry.get(request.params.name);
      return { epoch: await store.freeze() };
    },
  );

  app.post<{ Params: NameParams; Body: { child: string } }>(
    '/stores/:name/branch',
    { schema: { params: nameParams, body: schemas.branch } },
    async (request, reply) => {
      const { name } = request.params;
      const { child } = request.body;
      const parent = await registry.get(name);
      const store = await registry.add(child, (path) => parent.branch(path));
      return reply.code(201).send(describe(child, store));
    },
  );

  app.get<{ Params: NameParams }>(
    '/stores/:name/segments',
    { schema: { params: nameParams } },
    async (request) => {
      const store = await registry.get(request.params.name);
      return { segments: store.segments() };
    },
  );

  app.get<{ Params: NameParams }>(
    '/stores/:name/witness',
    { schema: { params: nameParams } },
    async (request) => {
      const store = await registry.get(request.params.name);
      const report = await store.verifyWitness();
      return {
        ...report,
        witnesses: report.witnesses.map((w) => ({ ...w, timestampNs: w.timestampNs.toString() })),
      };
    },
  );

  app.get<{ Params: NameParams }>(
    '/stores/:name/export',
    { schema: { params: nameParams } },
    async (request, reply) => {
      const store = await registry.get(request.params.name);
      const records = store.export();
      // Pull the first record before answering, so an error is still a JSON error response.
      const first = await records.next();
      reply.type(`${NDJSON}; charset=utf-8`);
      return reply.send(Readable.from(chunked(first, records), { objectMode: false }));
    },
  );

  app.post<{ Params: NameParams }>(
    '/stores/:name/import',
    { schema: { params: nameParams } },
    async (request) => {
      const body = request.body as unknown;
      if (!isAsyncIterable(body)) {
        throw new HttpError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'UnsupportedMediaType',
          `import takes an NDJSON body (content-type ${NDJSON})`,
        );
      }
      const store = await registry.get(request.params.name);
      return store.import(body as AsyncIterable<Uint8Array>);
    },
  );

  return app;
}

/**
 * Export lines, gathered into chunks of about 64 KiB. If the response is abandoned, the
 * `finally` closes the library's generator, which releases the store's write gate.
 */
async function* chunked(first: IteratorResult<string>, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  try {
    if (first.done) return;
    let buf = first.value;
    for await (const line of rest) {
      buf += line;
      if (buf.length >= 65536) {
        yield buf;
        buf = '';
      }
    }
    if (buf.length > 0) yield buf;
  } finally {
    await rest.return(undefined);
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}
