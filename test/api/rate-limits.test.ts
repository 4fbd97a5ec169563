import { loadApiConfig } from '@chatq/api/config.ts';
import { UsersRepository } from '@chatq/api/db/users.repository.ts';
import { AuditRepository } from '@chatq/api/db/audit.repository.ts';
import { Auditor } from '@chatq/api/domain/audit.ts';
import { ensureAdmin } from '@chatq/api/domain/bootstrap.ts';
import { createApiServer } from '@chatq/api/server.ts';
import { ChatqClient } from '@chatq/client';
import { createLogger } from '@chatq/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcome, refusal } from '../harness/refusal.ts';
import { ADMIN_TOKEN, startStack, type TestStack } from '../harness/stack.ts';
import { apiWithoutRedis } from '../harness/offline-redis.ts';

const LIMITS = {
  RATE_LIMIT_REQUESTS_PER_MINUTE: '5',
  RATE_LIMIT_TURNS_PER_MINUTE: '2',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '30',
};
const BAD_TOKEN = 'cq_not_a_real_token_at_all_xxxxxxxx';

describe('rate limits', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: LIMITS });
    // The admin sets up members for every test; an override keeps it out of the low limits.
    await stack.sql`update users set requests_per_minute = 100000 where username = 'admin'`;
  });
  afterAll(() => stack.close());

  /** A fresh member, with a window of its own. */
  async function member(): Promise<{ client: ChatqClient; id: string; mint: () => Promise<ChatqClient> }> {
    const client = await stack.memberClient();
    const id = (await client.getMe()).body.user.id;
    const mint = async () => client.as((await client.createToken({ params: { id } })).body.token);
    return { client, id, mint };
  }

  it('puts RateLimit-Policy and RateLimit on every response, counted per user or per IP', async () => {
    const { client } = await member();
    const ok = await client.getMe();
    expect(ok.headers.get('ratelimit-policy')).toBe('"requests";q=5;w=60');
    expect(ok.headers.get('ratelimit')).toMatch(/^"requests";r=3;t=(59|60)$/);

    const unparsable = [
      // Malformed JSON on purpose: the typed client only sends what it serializes.
      await stack.admin
        .as(client.token)
        .request('POST', '/api/v1/chats', '{"content": ', { 'content-type': 'application/json' }),
      await refusal(client.createChat({ body: { content: 'x'.repeat(300 * 1024) } })),
    ];
    expect(unparsable.map((r) => r.status)).toEqual([400, 413]);
    for (const res of unparsable) {
      expect(res.headers.get('ratelimit-policy')).toBe('"requests";q=5;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/^"requests";r=[12];t=\d+$/);
    }

    for (const res of [
      // /openapi.json and /api/v1/nope are outside the route table: the typed client has no method for them.
      await stack.admin.as(undefined).get('/openapi.json'),
      await refusal(stack.client.as(BAD_TOKEN).getMe()),
      await stack.admin.as(undefined).get('/api/v1/nope'),
    ]) {
      expect(res.headers.get('ratelimit-policy')).toBe('"anonymous";q=30;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/^"anonymous";r=\d+;t=\d+$/);
    }
  });

  it('refuses a user past their limit with 429 and Retry-After, whichever of their tokens they use', async () => {
    const { client, mint, id } = await member();
    const other = await mint();
    const stranger = (await member()).client;
    // member() and mint() spent two of the five: the second token shares the first one's budget.
    for (const token of [client, other, client]) expect((await token.listChats()).status).toBe(200);
    // A token minted now does not buy more either (minted by the admin: the user has no requests left).
    const third = client.as((await stack.client.createToken({ params: { id } })).body.token);
    for (const token of [client, other, third]) {
      const refused = await refusal(token.listChats());
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ message: 'Rate limit exceeded.' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(refused.headers.get('ratelimit')).toMatch(/^"requests";r=0;/);
    }
    expect((await stranger.listChats()).status).toBe(200);
  });

  it('limits turns per user across all their tokens, and only requests that start one', async () => {
    const { client, mint, id } = await member();
    // Room for requests, so that only the turns limit is in play.
    await stack.client.updateUser({ params: { id }, body: { rate_limits: { requests_per_minute: 100 } } });
    const other = await mint();
    expect((await client.createChat({ body: { content: 'one' } })).status).toBe(201);
    const second = await client.createChat({ body: { content: 'two' } });
    expect(second.status).toBe(201);
    expect(second.headers.get('ratelimit-policy')).toBe('"requests";q=100;w=60, "turns";q=2;w=60');
    expect(second.headers.get('ratelimit')).toMatch(/"turns";r=0;t=\d+$/);
    const third = await refusal(other.createChat({ body: { content: 'three' } }));
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ message: 'Rate limit exceeded.' });
    expect(await stack.sql`select 1 from messages where content = 'three'`).toHaveLength(0);
    expect((await other.createChat({ body: { title: 'no turn' } })).status).toBe(201);
  });

  it('lets admins set and clear per-user limits, which apply to tokens in use at once', async () => {
    const { id, client } = await member();
    const forbidden = await refusal(
      client.updateUser({ params: { id }, body: { rate_limits: { requests_per_minute: 50 } } }),
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ message: 'Forbidden.' });
    const set = await stack.client.updateUser({ params: { id }, body: { rate_limits: { requests_per_minute: 7 } } });
    expect(set.status).toBe(200);
    expect(set.body.user.rate_limits).toEqual({ requests_per_minute: 7, turns_per_minute: null });

    // member() and the refused PATCH spent two of the seven.
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await outcome(client.listChats())).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const cleared = await stack.client.updateUser({
      params: { id },
      body: { rate_limits: { requests_per_minute: null } },
    });
    expect(cleared.body.user.rate_limits.requests_per_minute).toBeNull();
    // Back on the server's five, already spent: a 429 carries the policy as well.
    const after = await outcome(client.listChats());
    expect(after.headers.get('ratelimit-policy')).toBe('"requests";q=5;w=60');
  });

  it('is shared by every API replica', async () => {
    const replica = await createApiServer(loadApiConfig(stack.env), createLogger({ service: 'test', level: 'silent' }));
    const address = await replica.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { client } = await member();
      const onReplica = new ChatqClient({ baseUrl: address, token: client.token });
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await outcome(client.listChats())).status, (await outcome(onReplica.listChats())).status);
      }
      // member() spent one of the five requests of the window.
      expect(statuses.filter((s) => s === 200)).toHaveLength(4);
      expect(statuses.slice(-2)).toEqual([429, 429]);
    } finally {
      await replica.close();
    }
  });

  it('limits callers without a valid token per IP, bad tokens included', async () => {
    // /openapi.json is outside the route table: the typed client has no method for it.
    const anonymous = stack.admin.as(undefined);
    let status = 200;
    for (let i = 0; i < 31 && status !== 429; i++) status = (await anonymous.get('/openapi.json')).status;
    expect(status).toBe(429);
    const badToken = await refusal(stack.client.as(BAD_TOKEN).getMe());
    expect(badToken.status).toBe(429);
    expect(badToken.body).toEqual({ message: 'Rate limit exceeded.' });
    expect((await stack.client.getMe()).status).toBe(200);
  });
});

describe('probes and metrics', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2' } });
  });
  afterAll(() => stack.close());

  it('are never rate limited, while other anonymous requests are', async () => {
    const probes = stack.client.as(undefined);
    // /openapi.json and /metrics are outside the route table: the typed client has no method for them.
    const anonymous = stack.admin.as(undefined);
    for (let i = 0; i < 5; i++) {
      const health = await probes.getHealth();
      const ready = await probes.getReadiness();
      const metrics = await fetch(`${stack.baseUrl}/metrics`);
      await metrics.body?.cancel();
      for (const [path, res] of [
        ['/healthz', health],
        ['/readyz', ready],
        ['/metrics', metrics],
      ] as const) {
        expect(res.status, path).toBe(200);
        expect(res.headers.get('ratelimit-policy'), path).toBeNull();
      }
    }
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await anonymous.get('/openapi.json')).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await probes.getHealth()).status).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  /** Anonymous requests (limit 2 per IP) from the clients X-Forwarded-For names: what each got. */
  async function statusesBehind(trustProxy: string | undefined): Promise<Record<string, number[]>> {
    const stack = await startStack({
      worker: false,
      env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2', ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}) },
    });
    try {
      // Raw: /openapi.json is outside the route table, and the test sets X-Forwarded-For itself.
      const anonymous = stack.admin.as(undefined);
      const statuses: Record<string, number[]> = { '203.0.113.1': [], '203.0.113.2': [] };
      for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.1', '203.0.113.2']) {
        const res = await anonymous.request('GET', '/openapi.json', undefined, { 'x-forwarded-for': client });
        statuses[client]!.push(res.status);
      }
      return statuses;
    } finally {
      await stack.close();
    }
  }

  it.each(['true', '127.0.0.1/32', 'loopback', '1'])('=%s counts each forwarded client apart', async (value) => {
    expect(await statusesBehind(value)).toEqual({ '203.0.113.1': [200, 200, 429], '203.0.113.2': [200, 200] });
  });

  it('off (the default), ignores X-Forwarded-For: every request counts against the peer', async () => {
    expect(await statusesBehind(undefined)).toEqual({ '203.0.113.1': [200, 200, 429], '203.0.113.2': [429, 429] });
  });

  it('=10.0.0.0/8 believes only those proxies: the loopback peer is the client', async () => {
    expect(await statusesBehind('10.0.0.0/8')).toEqual({ '203.0.113.1': [200, 200, 429], '203.0.113.2': [429, 429] });
  });
});

describe('rate limits without Redis', () => {
  it('let requests through uncounted rather than failing them', async () => {
    const { app, close } = await apiWithoutRedis(LIMITS, (db) =>
      ensureAdmin(
        new UsersRepository(db.sql),
        new Auditor(db.sql, new AuditRepository(db.sql)),
        ADMIN_TOKEN,
        createLogger({ service: 'test', level: 'silent' }),
      ),
    );
    try {
      for (let i = 0; i < 7; i++) {
        const res = await app.inject({
          method: 'GET',
          url: '/api/v1/users/me',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(res.statusCode).toBe(200);
        expect(res.headers['ratelimit-policy']).toBe('"requests";q=5;w=60');
        expect(res.headers.ratelimit).toBeUndefined();
      }
    } finally {
      await close();
    }
  });
});
