import { openApiDocument } from '@chatq/contracts';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Built once per process (it takes tens of ms): the table cannot change while the process runs. */
const document = openApiDocument();

/**
 * The OpenAPI 3.1 document, generated from the route table (the same one the routes are served
 * from), at `/openapi.json`, and an interactive reference at `/docs` whose assets are served from
 * this process (works offline). @fastify/swagger only hands the finished document to the viewer.
 */
export function registerOpenApi(app: FastifyInstance): void {
  void app.register(swagger, { mode: 'static', specification: { document } });
  void app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  // In a plugin, so that it gets the hooks of the plugins registered before (compression).
  void app.register(async (docs) => {
    docs.get('/openapi.json', async () => document);
  });
}
