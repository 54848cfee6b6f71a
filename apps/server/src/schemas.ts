import { STORE_OPTION_BOUNDS as B } from './store-options.js';

/**
 * The JSON schemas of the routes: Fastify validates requests with them (types only, never
 * coerced; unknown fields refused) and @fastify/swagger turns them into the OpenAPI document.
 * Values the library judges (a k of 0, an id of -1, a metric name) are left to the handlers,
 * so they fail with the library's error codes; limits are checked in the handlers too, as
 * they are the server's configuration.
 */

/** Shared schemas, added with app.addSchema and referenced as `{ $ref: 'Error#' }`. */
export const sharedSchemas = [
  {
    $id: 'Error',
    type: 'object',
    description:
      'An error. `code` is a library code as hex text (`0x0203`) or a server code (`INVALID_STORE_NAME`); `committed` only when part of the work was committed before it failed.',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'name', 'message'],
        properties: { code: { type: 'string' }, name: { type: 'string' }, message: { type: 'string' } },
      },
      committed: {
        type: 'object',
        properties: { accepted: { type: 'integer' }, epoch: { type: 'integer' } },
      },
    },
  },
  {
    $id: 'Id',
    type: ['number', 'string'],
    description: 'A u64 vector id: a number, or a decimal string (required beyond 2^53).',
  },
  {
    $id: 'Filter',
    type: ['object', 'string', 'null'],
    description: "The library's filter: its JSON object, or that object as JSON text.",
  },
  {
    $id: 'Hit',
    type: 'object',
    properties: {
      id: { $ref: 'Id#' },
      distance: { type: 'number' },
      metadata: { type: 'object', additionalProperties: true },
    },
  },
  {
    $id: 'Store',
    type: 'object',
    description:
      "A store's description: its status() plus fileId, parentId, parent (the parent's name when it is in this folder), lineageDepth, fieldNames, cowStats and membershipFilter.",
    additionalProperties: true,
    properties: {
      name: { type: 'string' },
      dimension: { type: 'integer' },
      metric: { type: 'string' },
      totalVectors: { type: 'integer' },
      currentEpoch: { type: 'integer' },
      frozen: { type: 'boolean' },
      fileId: { type: 'string' },
      parent: { type: ['string', 'null'] },
    },
  },
] as const;

const error = (description: string) => ({ description, $ref: 'Error#' });

/** Responses every store route can give, besides its own. */
const storeErrors = {
  400: error('Bad input (schema, store name, or a library input error)'),
  401: error('No API key, or an unknown one'),
  404: error('No such store'),
  423: error('Another writer holds the store'),
  429: error('Rate limit exceeded'),
};

const writeErrors = {
  ...storeErrors,
  403: error('A read-only key on a write route'),
  409: error("The store's state refuses the write (frozen, closed, exists, pinned by branches)"),
  413: error('More items than the server accepts in one request'),
};

export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', description: 'Store name: 1-200 of A-Z a-z 0-9 . _ -, no leading dot' },
  },
} as const;

export const vectorParams = {
  type: 'object',
  required: ['name', 'id'],
  properties: {
    name: nameParams.properties.name,
    id: { type: 'string', description: 'The vector id, in decimal' },
  },
} as const;

const bounded = (name: keyof typeof B, what: string) => ({
  type: 'number',
  description: `${what}: an integer from ${B[name].min} to ${B[name].max}`,
});

const queryProperties = {
  vector: { type: 'array', items: { type: 'number' }, description: "The query; the store's dimension" },
  k: { type: 'number', description: "Neighbours wanted: a positive integer up to the server's k limit" },
  filter: { $ref: 'Filter#' },
  efSearch: bounded('efSearch', 'HNSW beam width for this query'),
  includeMetadata: { type: 'boolean', description: 'Attach each hit’s metadata (default true)' },
  plan: { type: 'string', enum: ['auto', 'exact', 'hnsw'] },
} as const;

const query = {
  type: 'object',
  required: ['vector', 'k'],
  additionalProperties: false,
  properties: queryProperties,
} as const;

const ndjsonBody = {
  description: 'One JSON record per line: `{ "id": 1, "vector": [0.1, 0.2], "metadata": { "tag": "a" } }`',
} as const;

const ingestResult = {
  type: 'object',
  properties: { accepted: { type: 'integer' }, rejected: { type: 'integer' }, epoch: { type: 'integer' } },
} as const;

export const schemas = {
  health: {
    summary: 'Liveness; needs no key',
    tags: ['service'],
    security: [],
    response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } },
  },
  list: {
    summary: 'Every store in the data folder (opens each)',
    tags: ['stores'],
    response: {
      200: {
        type: 'object',
        properties: {
          stores: {
            type: 'array',
            items: {
              type: 'object',
              description: 'A store that fails to open has `error` instead of `status`',
              properties: {
                name: { type: 'string' },
                status: { type: 'object', additionalProperties: true },
                error: { type: 'object', additionalProperties: true },
              },
            },
          },
        },
      },
      401: storeErrors[401],
    },
  },
  create: {
    summary: 'Create a store; every option is checked before a file is made',
    tags: ['stores'],
    body: {
      type: 'object',
      required: ['name', 'dimension'],
      additionalProperties: false,
      properties: {
        name: nameParams.properties.name,
        // Numbers, not integers: a 1.5 is refused by the handler with the library's code.
        dimension: bounded('dimension', 'Components per vector'),
        metric: { type: 'string', description: 'l2 (default), inner_product or cosine' },
        profile: bounded('profile', 'Profile byte of the manifest'),
        m: bounded('m', 'HNSW links per node (default 16)'),
        efConstruction: bounded('efConstruction', 'HNSW beam width while building (default 200)'),
        efSearch: bounded('efSearch', 'HNSW beam width of queries (default 100)'),
      },
    },
    response: { 201: { $ref: 'Store#' }, ...writeErrors },
  },
  describe: {
    summary: "A store's description",
    tags: ['stores'],
    params: nameParams,
    response: { 200: { $ref: 'Store#' }, ...storeErrors },
  },
  drop: {
    summary: 'Close a store and delete its file; refused while branch children in the folder read from it',
    tags: ['stores'],
    params: nameParams,
    response: { 204: { description: 'Dropped', type: 'null' }, ...writeErrors },
  },
  ingest: {
    summary: 'Add or replace vectors, in one commit; checked whole first, so a failure has written nothing',
    tags: ['vectors'],
    params: nameParams,
    body: {
      type: 'object',
      required: ['vectors', 'ids'],
      additionalProperties: false,
      properties: {
        vectors: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
        ids: { type: 'array', items: { $ref: 'Id#' } },
        metadata: {
          type: ['array', 'null'],
          description: "One object of named fields per vector, or the reference's flat form",
        },
        skipInvalid: { type: 'boolean', description: 'Drop rows that are not vectors and count them' },
      },
    },
    response: { 200: ingestResult, ...writeErrors },
  },
  fetch: {
    summary: 'Vectors by id, in the order asked; null for an id that is not there',
    tags: ['vectors'],
    params: nameParams,
    body: {
      type: 'object',
      required: ['ids'],
      additionalProperties: false,
      properties: {
        ids: { type: 'array', items: { $ref: 'Id#' } },
        includeMetadata: { type: 'boolean' },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          vectors: {
            type: 'array',
            items: {
              type: ['object', 'null'],
              properties: {
                id: { $ref: 'Id#' },
                vector: { type: 'array', items: { type: 'number' } },
                metadata: { type: 'object', additionalProperties: true },
              },
            },
          },
        },
      },
      ...storeErrors,
      413: writeErrors[413],
    },
  },
  getVector: {
    summary: 'One vector by id',
    tags: ['vectors'],
    params: vectorParams,
    querystring: {
      type: 'object',
      additionalProperties: false,
      // Query strings are text, and types are never coerced: the flag is the word.
      properties: { includeMetadata: { type: 'string', enum: ['true', 'false'] } },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          id: { $ref: 'Id#' },
          vector: { type: 'array', items: { type: 'number' } },
          metadata: { type: 'object', additionalProperties: true },
        },
      },
      ...storeErrors,
      404: error('No such store (ManifestNotFound), or no live vector with that id (VectorNotFound)'),
    },
  },
  query: {
    summary: 'k nearest neighbours',
    tags: ['vectors'],
    params: nameParams,
    body: query,
    response: {
      200: { type: 'object', properties: { results: { type: 'array', items: { $ref: 'Hit#' } } } },
      ...storeErrors,
    },
  },
  queryBatch: {
    summary: 'Several queries in one request, answered in order from one snapshot each',
    tags: ['vectors'],
    params: nameParams,
    body: {
      type: 'object',
      required: ['queries'],
      additionalProperties: false,
      properties: { queries: { type: 'array', items: query } },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          results: { type: 'array', items: { type: 'array', items: { $ref: 'Hit#' } } },
        },
      },
      ...storeErrors,
      413: writeErrors[413],
    },
  },
  delete: {
    summary: 'Delete by ids or by filter (exactly one)',
    tags: ['vectors'],
    params: nameParams,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { ids: { type: 'array', items: { $ref: 'Id#' } }, filter: { $ref: 'Filter#' } },
    },
    response: {
      200: { type: 'object', properties: { deleted: { type: 'integer' }, epoch: { type: 'integer' } } },
      ...writeErrors,
    },
  },
  compact: {
    summary: 'Rewrite the file with only live vectors',
    tags: ['stores'],
    params: nameParams,
    body: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { force: { type: 'boolean' } },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          segmentsCompacted: { type: 'integer' },
          bytesReclaimed: { type: 'integer' },
          epoch: { type: 'integer' },
        },
      },
      ...writeErrors,
    },
  },
  freeze: {
    summary: 'Make the store a read-only snapshot',
    tags: ['stores'],
    params: nameParams,
    response: { 200: { type: 'object', properties: { epoch: { type: 'integer' } } }, ...writeErrors },
  },
  branch: {
    summary: 'A copy-on-write child store in the same folder',
    tags: ['stores'],
    params: nameParams,
    body: {
      type: 'object',
      required: ['child'],
      additionalProperties: false,
      properties: { child: nameParams.properties.name },
    },
    response: { 201: { $ref: 'Store#' }, ...writeErrors },
  },
  segments: {
    summary: "The current manifest's segment directory",
    tags: ['stores'],
    params: nameParams,
    response: {
      200: { type: 'object', properties: { segments: { type: 'array', items: { type: 'object' } } } },
      ...storeErrors,
    },
  },
  witness: {
    summary: 'Verify the witness chain (timestamps as decimal strings)',
    tags: ['stores'],
    params: nameParams,
    response: { 200: { type: 'object', additionalProperties: true }, ...storeErrors },
  },
  export: {
    summary: 'Every live vector as NDJSON, one `{ id, vector, metadata? }` per line',
    tags: ['ndjson'],
    params: nameParams,
    produces: ['application/x-ndjson'],
    response: {
      200: {
        description: 'NDJSON stream',
        content: { 'application/x-ndjson': { schema: { type: 'string' } } },
      },
      ...storeErrors,
    },
  },
  import: {
    summary: 'Stream NDJSON records in; batches commit in order, each checked whole first',
    description:
      "Lines longer than the server's line limit are refused with 413 as soon as the limit is passed. On a bad line the records of the batches before it stay committed, and the error body says how many under `committed`.",
    tags: ['ndjson'],
    params: nameParams,
    // Documentation only: the body is streamed to the handler, never parsed or validated whole.
    body: {
      content: {
        'application/x-ndjson': { schema: ndjsonBody },
        'application/jsonl': { schema: ndjsonBody },
      },
    },
    response: {
      200: { type: 'object', properties: { accepted: { type: 'integer' }, epoch: { type: 'integer' } } },
      ...writeErrors,
      413: error('A line longer than the line limit'),
      415: error('The body is not NDJSON'),
    },
  },
} as const;
