import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one server, in a registry of its own: two servers in one process
 * (tests, an embedding app) never share or clash over metrics. (fastify-metrics always
 * merges prom-client's process-wide registry into its output, which is why it is not used.)
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly ingestedVectors = new Counter({
    name: 'rvf_ingested_vectors_total',
    help: 'Vectors committed by ingests and imports',
    registers: [this.registry],
  });
  readonly queries = new Counter({
    name: 'rvf_queries_total',
    help: 'k-NN queries answered (each query of a batch counts)',
    registers: [this.registry],
  });
  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to response, by route pattern and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(openStores: () => number) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'rvf_open_stores',
      help: 'Store handles the server holds open',
      registers: [this.registry],
      collect() {
        this.set(openStores());
      },
    });
  }

  /** Times every response, labelled by route pattern (`/stores/:name`), never by raw URL. */
  timeResponses(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      this.requestDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
  }

  /** GET /metrics, in Prometheus' text format. */
  route(app: FastifyInstance): void {
    app.get(
      '/metrics',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Prometheus metrics',
          tags: ['service'],
          response: { 200: { description: 'Prometheus text format', type: 'string' } },
        },
      },
      async (_request, reply) => {
        reply.type(this.registry.contentType);
        return this.registry.metrics();
      },
    );
  }
}
