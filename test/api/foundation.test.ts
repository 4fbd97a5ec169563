import { ConfigError, createLogger, installShutdown, migrate } from '@chatq/platform';
import { loadApiConfig } from '@chatq/api/config.ts';
import { hashToken } from '@chatq/api/domain/tokens.ts';
import { ensureAdmin } from '@chatq/api/domain/bootstrap.ts';
import { UsersRepository } from '@chatq/api/db/users.repository.ts';
import { AuditRepository } from '@chatq/api/db/audit.repository.ts';
import { Auditor } from '@chatq/api/domain/audit.ts';
import { loadMigrations } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../harness/db.ts';
import { ADMIN_TOKEN, eventually, startStack, type TestStack } from '../harness/stack.ts';
import { apiWithoutRedis } from '../harness/offline-redis.ts';
import { refusal } from '../harness/refusal.ts';

describe('config', () => {
  it('names the variable that is wrong', () => {
    const attempt = () => loadApiConfig({ CHATQ_SECRET_KEY: 'short', PORT: 'eighty' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/PORT: must be a number/);
      expect(message).toMatch(/CHATQ_SECRET_KEY: must be 32 bytes/);
    }
  });

  it('requires CHATQ_SECRET_KEY and defaults the rest to localhost', () => {
    expect(() => loadApiConfig({})).toThrow(/CHATQ_SECRET_KEY/);
    const config = loadApiConfig({ CHATQ_SECRET_KEY: 'a'.repeat(64) });
    expect(config.port).toBe(8080);
    expect(config.queuePrefix).toBe('chatq');
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/chatq');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('rejects a database URL that is not postgres', () => {
    expect(() => loadApiConfig({ CHATQ_SECRET_KEY: 'a'.repeat(64), DATABASE_URL: 'mysql://x/y' })).toThrow(
      /DATABASE_URL/,
    );
  });
});

describe('migrations', () => {
  it('apply once, and concurrent migrators do not conflict', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const all = (await loadMigrations()).map((m) => m.version);
      const results = await Promise.all([migrate(db.sql), migrate(db.sql), migrate(db.sql)]);
      expect(results.flat().sort()).toEqual(all);
      expect(await migrate(db.sql)).toEqual([]);
      const rows = await db.sql`select version from schema_migrations order by version`;
      expect(rows.map((r) => r.version)).toEqual(all);
    } finally {
      await db.drop();
    }
  });
});

describe('auth', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack.close());

  it('answers 401 without a token or with an unknown one', async () => {
    for (const client of [stack.client.as(undefined), stack.client.as('cq_not_a_real_token_at_all_xxxxxxxx')]) {
      const err = await refusal(client.getMe());
      expect(err.status).toBe(401);
      expect(err.body).toEqual({ message: 'Unauthorized.' });
    }
  });

  it('bootstraps the admin from CHATQ_BOOTSTRAP_TOKEN', async () => {
    const me = await stack.client.getMe();
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ username: 'admin', role: 'admin' });
  });

  it('stores only the sha256 of tokens', async () => {
    const member = await stack.memberClient('hash-check');
    const rows = await stack.sql<{ token_hash: Buffer }[]>`select token_hash from api_tokens`;
    const hashes = rows.map((r) => Buffer.from(r.token_hash).toString('hex'));
    expect(hashes).toContain(hashToken(member.token!).toString('hex'));
    expect(hashes).toContain(hashToken(ADMIN_TOKEN).toString('hex'));
    const dump = JSON.stringify(await stack.sql`select * from api_tokens`);
    expect(dump).not.toContain(member.token!);
  });

  it('lets members act on themselves but not administer', async () => {
    const member = await stack.memberClient('plain-member');
    const me = await member.getMe();
    expect(me.body.user.role).toBe('member');
    expect((await refusal(member.createUser({ body: { username: 'sneaky' } }))).status).toBe(403);
    expect((await refusal(member.listProviders())).status).toBe(403);
    const own = await member.createToken({ params: { id: me.body.user.id }, body: {} });
    expect(own.status).toBe(201);
    expect(own.body.token).toMatch(/^cq_[A-Za-z0-9_-]{43}$/);
    const admin = await stack.client.getMe();
    // Another user's tokens are not found: a member cannot even tell which user ids exist.
    const others = await refusal(member.createToken({ params: { id: admin.body.user.id }, body: {} }));
    expect(others.status).toBe(404);
    expect(others.body).toEqual({ message: 'User not found.' });
  });

  it('refuses a duplicate username with 409', async () => {
    await stack.client.createUser({ body: { username: 'twice' } });
    const again = await refusal(stack.client.createUser({ body: { username: 'twice' } }));
    expect(again.status).toBe(409);
  });

  it('creates exactly one admin however many replicas bootstrap at once', async () => {
    const db = await createTestDatabase();
    try {
      const users = new UsersRepository(db.sql);
      const audit = new Auditor(db.sql, new AuditRepository(db.sql));
      const log = createLogger({ service: 'test', level: 'silent' });
      await Promise.all([
        ensureAdmin(users, audit, undefined, log),
        ensureAdmin(users, audit, undefined, log),
        ensureAdmin(users, audit, ADMIN_TOKEN, log),
      ]);
      await ensureAdmin(users, audit, ADMIN_TOKEN, log);
      const admins = await db.sql`select id from users where role = 'admin'`;
      expect(admins).toHaveLength(1);
      const tokens = await db.sql<{ id: string }[]>`select id from api_tokens`;
      expect(tokens).toHaveLength(1);
      // Audited once each, with no actor: no request made them.
      const events = await db.sql`select action, actor_id, target_id from audit_events order by id`;
      expect(events).toEqual([
        { action: 'user.create', actor_id: null, target_id: admins[0]!.id },
        { action: 'token.create', actor_id: null, target_id: tokens[0]!.id },
      ]);
    } finally {
      await db.drop();
    }
  });
});

describe('http conventions', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack.close());

  it('echoes X-Request-Id, or makes one', async () => {
    const given = await stack.client.getHealth(undefined, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await stack.client.getHealth();
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await stack.admin.request('POST', '/api/v1/chats', '{"title": ', {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Malformed JSON body.');
  });

  it('maps schema failures to 400 with validations', async () => {
    // A role outside the enum: the typed client would not send it.
    const res = await stack.admin.post('/api/v1/users', { username: '', role: 'emperor' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid request.');
    expect(new Set(res.body.validations.map((v: { field: string }) => v.field))).toEqual(
      new Set(['body.role', 'body.username']),
    );
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    // No operation has this path: only the raw client can ask for it.
    const res = await stack.admin.get('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Route not found.' });
  });

  it('is ready when Postgres, Redis and migrations are', async () => {
    const res = await stack.client.getReadiness();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } });
  });
});

describe('readiness and shutdown', () => {
  it('goes not-ready when Redis is unreachable', async () => {
    const { app, close } = await apiWithoutRedis();
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not_ready', checks: { postgres: 'ok', redis: 'down', migrations: 'ok' } });
    } finally {
      await close();
    }
  });

  it('finishes an in-flight request before exiting 0', async () => {
    const stack = await startStack({ worker: false });
    let exitCode: number | undefined;
    const closing = Promise.withResolvers<void>();
    try {
      const drain = installShutdown({
        logger: createLogger({ service: 'test', level: 'silent' }),
        graceMs: 5_000,
        steps: [
          {
            name: 'api',
            run: () => {
              closing.resolve();
              return stack.api.app.close();
            },
          },
        ],
        exit: (code) => {
          exitCode = code;
        },
      });
      // A slow in-flight request: a send whose database call we hold with a lock.
      const chat = (await stack.client.createChat({ body: {} })).body.chat;
      const locker = await stack.sql.reserve();
      await locker`begin`;
      await locker`select 1 from chats where id = ${chat.id} for update`;
      const inFlight = stack.client.sendMessage({ params: { chat_id: chat.id }, body: { content: 'hello' } });
      await eventually(
        async () => {
          const [row] = await stack.sql<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`;
          return row!.n > 0 ? true : undefined;
        },
        { what: 'the send to wait on the lock' },
      );
      const drained = drain();
      // The drain is under way: the API has stopped listening and waits only for the send.
      await closing.promise;
      await eventually(async () => (stack.api.app.server.listening ? undefined : true), {
        what: 'the API to stop listening',
      });
      expect(exitCode).toBeUndefined();
      await locker`commit`;
      locker.release();
      const res = await inFlight;
      expect(res.status).toBe(201);
      await drained;
      expect(exitCode).toBe(0);
    } finally {
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      await stack.close();
    }
  });
});
