import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { HttpError, PartialCommit } from './errors.js';
import { importNdjson } from './ndjson-import.js';
import type { RouteContext } from './route-context.js';
import { schemas } from './schemas.js';

export const NDJSON = 'application/x-ndjson';

interface NameParams {
  name: string;
}

/** Bulk routes: export a store as NDJSON, import NDJSON into one. */
export function ndjsonRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { registry, limits, metrics } = ctx;

  // NDJSON bodies reach the import handler as the raw request stream, read as it commits.
  app.addContentTypeParser([NDJSON, 'application/jsonl'], (_request, payload, done) => done(null, payload));

  app.get<{ Params: NameParams }>(
    '/stores/:name/export',
    { config: { access: 'read' }, schema: schemas.export },
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
    { config: { access: 'write' }, schema: schemas.import },
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
      try {
        const result = await importNdjson(store, body as AsyncIterable<Uint8Array>, limits);
        metrics.ingestedVectors.inc(result.accepted);
        return result;
      } catch (err) {
        if (err instanceof PartialCommit) metrics.ingestedVectors.inc(err.committed.accepted);
        throw err;
      }
    },
  );
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
