import { ErrorBody, IDEMPOTENCY_HEADER, IdempotencyKey } from '@chatq/contracts';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IDEMPOTENT_METHODS } from '../domain/idempotency.ts';

const IdempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: IdempotencyKey.optional().describe(
    'Makes the request safe to retry for 24 h: a retry with the same key and body replays the first response.',
  ),
});

const API_PREFIX = '/api/v1/';

/**
 * Documents every route from its zod schemas, adding what plugins enforce for all routes: the
 * Idempotency-Key header on POST and PATCH, the error body, and which routes need a token.
 */
const transform: typeof jsonSchemaTransform = (document) => {
  const { schema, url, route } = document;
  if (!schema || schema.hide) return jsonSchemaTransform(document);
  const methods = [route.method].flat();
  const isApi = url.startsWith(API_PREFIX);
  const documented = {
    ...schema,
    ...(methods.some((m) => IDEMPOTENT_METHODS.has(m)) ? { headers: IdempotencyHeaders } : {}),
    response: { ...(schema.response as object), '4xx': ErrorBody, '5xx': ErrorBody },
    tags: [isApi ? url.slice(API_PREFIX.length).split('/')[0]! : 'health'],
    ...(isApi ? {} : { security: [] }),
  };
  return jsonSchemaTransform({ ...document, schema: documented });
};

/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas at `/openapi.json`, and an
 * interactive reference at `/docs` whose assets are served from this process (works offline).
 */
export function registerOpenApi(app: FastifyInstance): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'chatq API',
        version: '1',
        description:
          'Queue-driven backend for AI chat agents. Every response carries `RateLimit-Policy` and ' +
          '`RateLimit` headers; lists are cursor-paginated; POST and PATCH accept `Idempotency-Key`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform,
    // Contract schemas with a `.meta({ id })` become shared components referenced by every route.
    transformObject: jsonSchemaTransformObject,
  });
  void app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  // In a plugin, so that it gets the hooks of the plugins registered before (compression).
  void app.register(async (docs) => {
    docs.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });
}
