import type { Readiness } from '@chatq/contracts';
import { type Logger, METRICS_CONTENT_TYPE, type Registry } from '@chatq/platform';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The worker's small HTTP side: probes for the orchestrator and the Prometheus scrape. */
export interface WorkerHttp {
  port: number;
  close: () => Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

/**
 * Serves `GET /healthz` (the process answers), `GET /readyz` (Postgres, Redis and migrations are
 * fine and the worker is not draining) and `GET /metrics`. Plain node:http: the worker has no other
 * routes, and a framework would cost more memory than the whole server.
 */
export async function startWorkerHttp(options: {
  host: string;
  port: number;
  registry: Registry;
  readiness: () => Promise<Readiness>;
  logger: Logger;
}): Promise<WorkerHttp> {
  const { registry, readiness, logger } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET') return json(res, 405, { message: 'Method not allowed.' });
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      readiness().then(
        (r) => json(res, r.status === 'ready' ? 200 : 503, r),
        (err: unknown) => {
          logger.warn({ err }, 'readiness check failed');
          json(res, 503, { message: 'Readiness check failed.' });
        },
      );
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(res, 200, METRICS_CONTENT_TYPE, text),
        (err: unknown) => {
          logger.warn({ err }, 'metrics collection failed');
          json(res, 500, { message: 'Internal server error.' });
        },
      );
      return;
    }
    json(res, 404, { message: 'Route not found.' });
  });
  // Probes and scrapes are short; a slow client must not keep a draining worker alive.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
