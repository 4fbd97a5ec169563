import { Histogram, METRICS_CONTENT_TYPE, type Registry } from '@chatq/platform';
import type { FastifyInstance } from 'fastify';

/** Buckets for API latency: the hot path answers in a few ms, slow requests wait on locks. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * `chatq_http_request_duration_seconds{method, route, status}` for every response, labelled with
 * the route pattern (never the raw URL, which would make a series per chat), and `GET /metrics`
 * in the Prometheus text format. Like the probes, /metrics needs no token: keep it off the public
 * ingress (the k8s manifests scrape the pod port).
 */
export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const latency = new Histogram({
    name: 'chatq_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    latency.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // Scrapes stay uncompressed, as they always were, and like the probes are never rate limited.
  app.get('/metrics', { logLevel: 'warn', compress: false, config: { rateLimited: false } }, async (_request, reply) =>
    reply.type(METRICS_CONTENT_TYPE).send(await registry.metrics()),
  );
}
