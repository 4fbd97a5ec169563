import { buildApp } from '@chatq/api/app.ts';
import { loadApiConfig } from '@chatq/api/config.ts';
import { createTurnQueue } from '@chatq/chat-core';
import { createLogger, createRedis, loadMigrations, type RedisClient as Redis } from '@chatq/platform';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/db.ts';
import { testEnv } from '../harness/stack.ts';

/** What keeps a route out of a useful OpenAPI document: no schema, no success response, undeclared params. */
function schemaGaps(routes: RouteOptions[]): string[] {
  const gaps: string[] = [];
  for (const route of routes) {
    const methods = [route.method].flat();
    const schema = route.schema as { hide?: boolean; response?: object; params?: unknown } | undefined;
    if (methods.every((m) => m === 'HEAD') || schema?.hide) continue;
    const name = `${methods.join(',')} ${route.url}`;
    if (!schema) gaps.push(`${name}: no schema`);
    else if (!Object.keys(schema.response ?? {}).some((s) => s.startsWith('2'))) gaps.push(`${name}: no 2xx response`);
    else if (route.url.includes(':') && !schema.params) gaps.push(`${name}: path params not declared`);
  }
  return gaps;
}

function collectRoutes(app: FastifyInstance): RouteOptions[] {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  return routes;
}

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; responses: object }>>;
  components: { schemas: Record<string, unknown> };
}

describe('OpenAPI', () => {
  let db: TestDatabase;
  let redis: Redis;
  let queue: Queue;
  let app: FastifyInstance;
  let routes: RouteOptions[];
  let doc: OpenApiDoc;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadApiConfig(testEnv(db, 'openapi'));
    redis = createRedis(inject('redisUrl'), 'consumer');
    queue = createTurnQueue(redis, 'openapi');
    const logger = createLogger({ service: 'test', level: 'silent' });
    app = buildApp({ config, logger, sql: db.sql, redis, queue, migrations: await loadMigrations() });
    routes = collectRoutes(app);
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await app.close();
    await queue.close();
    redis.disconnect();
    await db.drop();
  });

  it('finds a route without a schema (the check below can fail)', async () => {
    const bare = Fastify();
    const bareRoutes = collectRoutes(bare);
    bare.get('/bare/:id', async () => 'ok');
    bare.get('/half', { schema: { querystring: { type: 'object' } } }, async () => 'ok');
    await bare.ready();
    expect(schemaGaps(bareRoutes)).toEqual(['GET /bare/:id: no schema', 'GET /half: no 2xx response']);
    await bare.close();
  });

  it('every route declares its schema', () => {
    expect(routes.length).toBeGreaterThan(15);
    expect(schemaGaps(routes)).toEqual([]);
  });

  it('is OpenAPI 3.1 and documents every route that is not hidden', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const expected = routes
      .filter((r) => !(r.schema as { hide?: boolean } | undefined)?.hide)
      .flatMap((r) => [r.method].flat().map((m) => `${m} ${r.url.replace(/:(\w+)/g, '{$1}')}`))
      .filter((name) => !name.startsWith('HEAD '));
    expect(new Set(documented)).toEqual(new Set(expected));
  });

  it('shares the contract models as components and documents errors, idempotency and auth', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Chat', 'Message', 'Turn', 'User', 'Provider', 'ModelConfig', 'ErrorBody']),
    );
    const send = doc.paths['/api/v1/chats/{chat_id}/messages']!.post!;
    expect(send.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'header', name: 'idempotency-key' }),
        expect.objectContaining({ in: 'path', name: 'chat_id' }),
      ]),
    );
    expect(Object.keys(send.responses)).toEqual(expect.arrayContaining(['201', '4XX', '5XX']));
    const list = doc.paths['/api/v1/chats']!.get!;
    expect(list.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'after', 'before', 'status', 'archived', 'q']),
    );
    expect(JSON.stringify(doc.paths['/healthz'])).toContain('"security":[]');
  });

  it('serves the interactive reference at /docs with every asset from this server', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    const html = page.body;
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/static/swagger-ui-bundle.js']));
    for (const asset of assets) {
      expect((await app.inject({ method: 'GET', url: asset })).statusCode, asset).toBe(200);
    }
    const spec = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(Object.keys(spec.json().paths)).toEqual(Object.keys(doc.paths));
  });
});
