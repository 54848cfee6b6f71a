import { sep } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import { type FastifyInstance, type FastifyServerOptions, fastify } from 'fastify';
import pkg from '../package.json' with { type: 'json' };
import { accessControl, identify } from './access.js';
import { type ApiKey, KeyRing } from './api-keys.js';
import { HttpError, toErrorResponse } from './errors.js';
import { toJson } from './json.js';
import { type Limits, resolveLimits } from './limits.js';
import { ServerMetrics } from './metrics.js';
import { ndjsonRoutes } from './ndjson-routes.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { type ReadOnlySource, StoreRegistry } from './registry.js';
import { REQUEST_ID_HEADER, requestId } from './request-id.js';
import type { RouteContext } from './route-context.js';
import { schemas, sharedSchemas } from './schemas.js';
import { checkIndexThreshold } from './store-options.js';
import { storeRoutes } from './store-routes.js';
import { vectorRoutes } from './vector-routes.js';

export interface RateLimitOptions {
  /** Requests one client may make per window: by API key when it sends a valid one, else by IP. */
  max: number;
  /** The window in milliseconds (default one minute). */
  timeWindowMs?: number;
}

export interface ServerOptions {
  /** Folder holding the `*.rvf` stores (created on start if missing); ignored with `readOnlySource`. */
  dataDir: string;
  /**
   * Serve these stores read-only instead of a data folder: the namespaces of an object store
   * (namespaceSource()), as one of several stateless replicas.
   */
  readOnlySource?: ReadOnlySource;
  /** With readOnlySource: how often open stores look for a newer published version (default 1000 ms; 0 never). */
  pollMs?: number;
  /** Fastify's logger option (default off): JSON lines, each with the request's `reqId`. */
  logger?: FastifyServerOptions['logger'];
  /** The library's indexThreshold for every handle: below it queries scan exactly (library default 1024). */
  indexThreshold?: number;
  /** Bounds on what one request may ask (see limits.ts for the defaults). */
  limits?: Partial<Limits>;
  /**
   * API keys. With none, every route is open (bind to loopback only; the CLI refuses
   * anything else without --insecure); with any, every route but GET /health needs one.
   */
  apiKeys?: readonly ApiKey[];
  /** Rate limiting with @fastify/rate-limit (off when absent). */
  rateLimit?: RateLimitOptions;
}

/**
 * The HTTP/JSON server over every `*.rvf` store of `options.dataDir`. Handles open on first
 * use and stay open until the server closes. Library errors become
 * `{ error: { code: '0x0203', name: 'FilterParseError', message } }` with a status by
 * category (see errors.ts). Throws InvalidArgument for a bad option, before anything starts.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const limits = resolveLimits(options.limits);
  const keys = new KeyRing(options.apiKeys ?? []);
  const handleOptions =
    options.indexThreshold === undefined
      ? {}
      : { indexThreshold: checkIndexThreshold(options.indexThreshold) };
  const registry = new StoreRegistry(options.dataDir, handleOptions, options.readOnlySource);
  const metrics = new ServerMetrics(() => registry.openCount);
  const app = fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyBytes,
    genReqId: requestId,
    requestIdHeader: false,
    routerOptions: { maxParamLength: 256 },
    // Types are checked, never coerced ("5" is not a k, null is not a 0), and a field the
    // schema does not name is an error, not silently dropped (a misspelt option is not ignored).
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true, removeAdditional: false } },
  });

  const dirPrefix = `${registry.dataDir}${sep}`;
  const redact = (s: string) => s.split(dirPrefix).join('');

  // One serializer for every response, bigints included: response schemas only document.
  app.setReplySerializer((payload) => toJson(payload));
  app.setSerializerCompiler(() => (data) => toJson(data));

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toErrorResponse(err, redact);
    if (status >= 500) request.log.error(err);
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="rvf"');
    // Refused before its body was read (a line over the limit, a missing key): end the
    // connection after the answer, rather than read and discard the rest of the upload.
    if (!request.raw.complete) reply.header('connection', 'close');
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'NOT_FOUND', name: 'NotFound', message: `no route ${request.method} ${request.url}` },
    }),
  );

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  if (options.rateLimit) {
    app.register(rateLimit, {
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.timeWindowMs ?? 60_000,
      keyGenerator: (request) => {
        const identity = identify(request, keys);
        return identity ? `key:${identity.keyId}` : `ip:${request.ip}`;
      },
      allowList: (request) => request.routeOptions.config?.access === 'public',
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          context.statusCode,
          'RATE_LIMITED',
          'RateLimited',
          `rate limit exceeded (${context.max} requests per window); retry in ${context.after}`,
        ),
    });
  }
  app.addHook('preParsing', accessControl(keys));

  for (const schema of sharedSchemas) app.addSchema(schema);
  metrics.timeResponses(app);
  app.addHook('onReady', () => registry.ensureDir());
  app.addHook('onClose', () => registry.closeAll());
  const pollMs = options.pollMs ?? 1000;
  if (options.readOnlySource && pollMs > 0) {
    // A replica: every open store looks for a newer version this often (one poll at a time),
    // so a version published anywhere is served within about pollMs plus its load.
    let polling = false;
    const timer = setInterval(() => {
      if (polling) return;
      polling = true;
      registry
        .refreshAll((name, e) =>
          app.log.warn({ store: name, err: e }, 'refresh failed; serving the version it has'),
        )
        .finally(() => {
          polling = false;
        });
    }, pollMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }

  registerOpenApi(app, pkg.version);
  // In a plugin, so that the routes are added after @fastify/swagger has loaded and sees them.
  const ctx: RouteContext = { registry, limits, metrics, handleOptions };
  app.register(async (api) => {
    api.get('/health', { config: { access: 'public' }, schema: schemas.health }, async () => ({ ok: true }));
    openApiRoute(api);
    metrics.route(api);
    storeRoutes(api, ctx, redact);
    vectorRoutes(api, ctx);
    ndjsonRoutes(api, ctx);
  });
  return app;
}
