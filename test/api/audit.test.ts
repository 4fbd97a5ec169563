import type { AuditAction, AuditEvent } from '@chatq/contracts';
import type { ChatqClient } from '@chatq/client';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { startStack, TEST_SECRET_KEY, type TestStack } from '../harness/stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Secrets the changes below carry: none may appear in any event. */
const SECRETS = ['sk-audit-key-1', 'sk-audit-key-2', 'gw-audit-header', 'audit-signing-secret', 'mcp-audit-bearer'];

describe('the audit log', () => {
  let stack: TestStack;
  let adminId: string;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    adminId = (await stack.client.getMe()).body.user.id;
  });
  afterAll(() => stack.close());

  /** Every event about one target, oldest first. */
  async function eventsAbout(targetId: string): Promise<AuditEvent[]> {
    const page = await stack.client.listAuditEvents({ query: { target_id: targetId, limit: 100 } });
    return page.body.data.reverse();
  }

  /** The one event of `action` about `targetId` (fails unless there is exactly one). */
  async function theEvent(action: AuditAction, targetId: string): Promise<AuditEvent> {
    const events = (await eventsAbout(targetId)).filter((e) => e.action === action);
    expect(events).toHaveLength(1);
    return events[0]!;
  }

  it('records each provider change once, by whom and through which request, with its secrets sealed', async () => {
    const created = await stack.client.createProvider({
      body: {
        name: 'audited',
        kind: 'openai',
        api_key: 'sk-audit-key-1',
        secret_headers: { 'X-Gateway': 'gw-audit-header' },
      },
    });
    const id = created.body.provider.id;
    const create = await theEvent('provider.create', id);
    expect(create).toMatchObject({
      actor_id: adminId,
      target_type: 'provider',
      target_id: id,
      request_id: created.headers.get('x-request-id'),
      ip: '127.0.0.1',
    });
    expect(create.changes.before).toBeNull();
    expect(create.changes.after).toMatchObject({
      id,
      name: 'audited',
      api_key: '[sealed]',
      secret_headers: '[sealed]',
      secret_header_names: ['x-gateway'],
      deleted_at: null,
    });

    await stack.client.updateProvider({
      params: { id },
      body: { api_key: 'sk-audit-key-2', base_url: 'https://gateway.example.com/v1' },
    });
    const update = await theEvent('provider.update', id);
    // Only what changed: the re-sealed key (sealed on both sides) and the new base URL.
    expect(update.changes).toEqual({
      before: { api_key: '[sealed]', base_url: null },
      after: { api_key: '[sealed]', base_url: 'https://gateway.example.com/v1' },
    });

    await stack.client.deleteProvider({ params: { id } });
    const removal = await theEvent('provider.delete', id);
    expect(removal.changes.before).toEqual({ deleted_at: null });
    expect((removal.changes.after as { deleted_at: string }).deleted_at).toMatch(/^\d{4}-/);
    expect(JSON.stringify(await eventsAbout(id))).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  it('records model config, tool and MCP server changes, sealing headers and signing secrets', async () => {
    const provider = (await stack.client.createProvider({ body: { name: 'audit-mock', kind: 'mock' } })).body.provider;
    const model = (
      await stack.client.createModelConfig({
        body: {
          provider_id: provider.id,
          model: 'm',
          max_steps: 2,
          options: { temperature: 0.1, headers: { 'x-key': 'gw-audit-header' } },
        },
      })
    ).body.model_config;
    expect((await theEvent('model_config.create', model.id)).changes.after).toMatchObject({
      model: 'm',
      options: { temperature: 0.1, headers: { 'x-key': '[sealed]' } },
    });
    await stack.client.updateModelConfig({ params: { id: model.id }, body: { max_steps: 3 } });
    expect((await theEvent('model_config.update', model.id)).changes).toEqual({
      before: { max_steps: 2 },
      after: { max_steps: 3 },
    });
    await stack.client.deleteModelConfig({ params: { id: model.id } });
    expect((await theEvent('model_config.delete', model.id)).changes.before).toEqual({ deleted_at: null });

    const tool = (
      await stack.client.createTool({
        body: {
          name: 'audit_hook',
          description: 'A hook.',
          input_schema: { type: 'object' },
          kind: 'webhook',
          url: 'http://127.0.0.1:9/hook',
          signing_secret: 'audit-signing-secret',
        },
      })
    ).body.tool;
    expect((await theEvent('tool.create', tool.id)).changes.after).toMatchObject({
      name: 'audit_hook',
      signing_secret: '[sealed]',
    });
    await stack.client.updateTool({ params: { id: tool.id }, body: { enabled: false } });
    expect((await theEvent('tool.update', tool.id)).changes).toEqual({
      before: { enabled: true },
      after: { enabled: false },
    });
    await stack.client.deleteTool({ params: { id: tool.id } });
    await theEvent('tool.delete', tool.id);

    const server = (
      await stack.client.createMcpServer({
        body: {
          name: 'audit_mcp',
          url: 'http://127.0.0.1:9/mcp',
          secret_headers: { authorization: 'mcp-audit-bearer' },
        },
      })
    ).body.mcp_server;
    expect((await theEvent('mcp_server.create', server.id)).changes.after).toMatchObject({
      secret_headers: '[sealed]',
      secret_header_names: ['authorization'],
    });
    await stack.client.updateMcpServer({ params: { id: server.id }, body: { secret_headers: null } });
    expect((await theEvent('mcp_server.update', server.id)).changes).toEqual({
      before: { secret_headers: '[sealed]', secret_header_names: ['authorization'] },
      after: { secret_headers: null, secret_header_names: [] },
    });
    await stack.client.deleteMcpServer({ params: { id: server.id } });
    await theEvent('mcp_server.delete', server.id);

    const all = await stack.client.listAuditEvents({ query: { limit: 100 } });
    expect(JSON.stringify(all.body)).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  it('records users, their limits, and every token minted or revoked, members’ own too, hashes sealed', async () => {
    const user = (await stack.client.createUser({ body: { username: 'audited-user' } })).body.user;
    expect((await theEvent('user.create', user.id)).changes.after).toMatchObject({
      username: 'audited-user',
      role: 'member',
    });
    await stack.client.updateUser({ params: { id: user.id }, body: { rate_limits: { turns_per_minute: 5 } } });
    expect((await theEvent('user.update', user.id)).changes).toEqual({
      before: { turns_per_minute: null },
      after: { turns_per_minute: 5 },
    });

    // A spend limit is a user change like any other: its columns show up without code of their own.
    await stack.client.updateUser({
      params: { id: user.id },
      body: { spend_limit: { amount_micros: 5_000_000, period: 'month' } },
    });
    const updates = (await eventsAbout(user.id)).filter((e) => e.action === 'user.update');
    expect(updates).toHaveLength(2);
    expect(updates[1]!.changes).toEqual({
      before: { spend_limit_micros: null, spend_limit_period: null },
      after: { spend_limit_micros: '5000000', spend_limit_period: 'month' },
    });

    const minted = await stack.client.createToken({ params: { id: user.id }, body: { name: 'laptop' } });
    const token = minted.body.token_info;
    const mint = await theEvent('token.create', token.id);
    expect(mint).toMatchObject({ actor_id: adminId, target_type: 'token' });
    expect(mint.changes.after).toMatchObject({ user_id: user.id, name: 'laptop', token_hash: '[sealed]' });
    expect(JSON.stringify(mint)).not.toContain(minted.body.token);

    // A member minting and revoking their own token is recorded as them.
    const member = stack.client.as(minted.body.token);
    const own = (await member.createToken({ params: { id: user.id } })).body.token_info;
    expect((await theEvent('token.create', own.id)).actor_id).toBe(user.id);
    await member.revokeToken({ params: { id: user.id, token_id: own.id } });
    const revoke = await theEvent('token.revoke', own.id);
    expect(revoke.actor_id).toBe(user.id);
    expect(revoke.changes.before).toEqual({ revoked_at: null });
  });

  it('writes no event for a change that rolls back, and records the refusal instead', async () => {
    const taken = (await stack.client.createProvider({ body: { name: 'taken', kind: 'mock' } })).body.provider;
    const other = (await stack.client.createProvider({ body: { name: 'other', kind: 'mock' } })).body.provider;
    const err = await refusal(stack.client.updateProvider({ params: { id: other.id }, body: { name: 'taken' } }));
    expect(err.status).toBe(409);
    expect((await eventsAbout(other.id)).map((e) => e.action)).toEqual(['provider.create']);
    expect(taken.id).not.toBe(other.id);

    const refused = await stack.client.listAuditEvents({
      query: { action: 'request.refused', target_id: 'PATCH /api/v1/providers/{id}' },
    });
    expect(refused.body.data[0]).toMatchObject({
      actor_id: adminId,
      target_type: 'route',
      request_id: err.headers.get('x-request-id'),
      changes: { status: 409, message: 'A provider with this name already exists.' },
    });
  });

  it('records an idempotent change once: a replay repeats the answer, not the event', async () => {
    const request = { body: { username: 'once' }, headers: { 'idempotency-key': 'audit-once' } };
    const first = await stack.client.createUser(request);
    const replay = await stack.client.createUser(request);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await eventsAbout(first.body.user.id)).map((e) => e.action)).toEqual(['user.create']);
  });

  it('rolls the change back when its event cannot be written: both are one transaction', async () => {
    const provider = (await stack.client.createProvider({ body: { name: 'unrecordable', kind: 'mock' } })).body
      .provider;
    // Makes the event of this one provider's next change fail to insert, as a full disk would.
    await stack.sql.unsafe(`
      create function audit_test_fail() returns trigger language plpgsql as $$
      begin raise exception 'audit write failed'; end $$;
      create trigger audit_test_fail before insert on audit_events for each row
        when (new.target_id = '${provider.id}' and new.action = 'provider.update')
        execute function audit_test_fail();`);
    try {
      const err = await refusal(
        stack.client.updateProvider({ params: { id: provider.id }, body: { name: 'renamed' } }),
      );
      expect(err.status).toBe(500);
      expect((await stack.client.getProvider({ params: { id: provider.id } })).body.provider.name).toBe('unrecordable');
    } finally {
      await stack.sql.unsafe(`drop trigger audit_test_fail on audit_events; drop function audit_test_fail();`);
    }
  });

  it('records a member’s 403 on an admin route, and no 401 of an anonymous caller', async () => {
    const member: ChatqClient = await stack.memberClient('refused-member');
    const memberId = (await member.getMe()).body.user.id;
    expect((await refusal(member.listProviders())).status).toBe(403);
    expect((await refusal(member.listAuditEvents())).status).toBe(403);
    expect((await refusal(stack.client.as(undefined).listProviders())).status).toBe(401);

    const refused = await stack.client.listAuditEvents({ query: { action: 'request.refused', actor_id: memberId } });
    expect(refused.body.data.map((e) => [e.target_id, e.changes])).toEqual([
      ['GET /api/v1/audit-events', { status: 403, message: 'Forbidden.' }],
      ['GET /api/v1/providers', { status: 403, message: 'Forbidden.' }],
    ]);
    const anonymous = await stack.sql`
      select count(*)::int as n from audit_events where action = 'request.refused' and actor_id is null`;
    expect(anonymous[0]!.n).toBe(0);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of events in SQL', async () => {
    const [before] = await stack.sql`select count(*)::int as n from audit_events`;
    expect(before!.n).toBeGreaterThan(0);
    await expect(stack.sql`update audit_events set ip = '10.6.6.6'`).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(stack.sql`delete from audit_events`).rejects.toThrow(/append-only: DELETE refused/);
    await expect(stack.sql`delete from audit_events where at < now() - interval '1 day'`).rejects.toThrow(
      /append-only: DELETE refused/,
    );
    await expect(stack.sql`truncate audit_events`).rejects.toThrow(/append-only: TRUNCATE refused/);
    // A session variable or an ordinary prune-like delete does not open it either.
    await expect(
      stack.sql.begin(async (tx) => {
        await tx`select set_config('chatq.audit_prune', 'on', true)`;
        await tx`delete from audit_events`;
      }),
    ).rejects.toThrow(/append-only/);
    const [after] =
      await stack.sql`select count(*)::int as n, count(*) filter (where ip = '10.6.6.6')::int as bad from audit_events`;
    expect(after).toEqual({ n: before!.n, bad: 0 });
  });

  it('filters by action, actor, target and time, newest first, and pages without gaps or repeats', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push((await stack.client.createUser({ body: { username: `paged-${i}` } })).body.user.id);
    }
    const from = (await theEvent('user.create', made[0]!)).at;
    const seen: AuditEvent[] = [];
    let after: string | undefined;
    do {
      const page = await stack.client.listAuditEvents({
        query: { action: 'user.create', actor_id: adminId, from, limit: 3, ...(after ? { after } : {}) },
      });
      seen.push(...page.body.data);
      after = page.body.next_cursor ?? undefined;
    } while (after);
    expect(seen.map((e) => e.target_id)).toEqual([...made].reverse());
    const ats = seen.map((e) => Date.parse(e.at));
    expect(ats).toEqual([...ats].sort((a, b) => b - a));

    // `to` is exclusive: up to the third creation's instant leaves the first two.
    const third = (await theEvent('user.create', made[2]!)).at;
    const early = await stack.client.listAuditEvents({ query: { action: 'user.create', from, to: third } });
    expect(early.body.data.map((e) => e.target_id)).toEqual([made[1], made[0]]);

    const users = await stack.client.listAuditEvents({
      query: { target_type: 'user', target_id: made[3]!, limit: 100 },
    });
    expect(users.body.data.map((e) => e.action)).toEqual(['user.create']);
  });

  it('refuses bad filters with 400 and a validation per field', async () => {
    const res = await stack.admin.get(
      '/api/v1/audit-events?action=provider.explode&actor_id=42&target_type=planet&from=yesterday&limit=0',
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid request.');
    expect(res.body.validations.map((v: { field: string }) => v.field).sort()).toEqual([
      'querystring.action',
      'querystring.actor_id',
      'querystring.from',
      'querystring.limit',
      'querystring.target_type',
    ]);
    const reversed = await stack.admin.get('/api/v1/audit-events?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z');
    expect(reversed.status).toBe(400);
    expect(reversed.body.validations).toEqual([{ field: 'querystring.from', detail: 'must be before to' }]);
    const cursor = await stack.admin.get('/api/v1/audit-events?after=bm90LWEtY3Vyc29y');
    expect(cursor.status).toBe(400);
    expect(cursor.body.message).toBe('Invalid cursor.');
  });

  it('audit:prune deletes events older than --before, writes its own event, and refuses bad dates', async () => {
    const old = await stack.sql<{ id: string }[]>`
      insert into audit_events (at, action, target_type, target_id, changes)
      values ('2020-03-01T00:00:00Z', 'user.create', 'user', 'old-1', '{}'),
             ('2020-06-01T00:00:00Z', 'user.create', 'user', 'old-2', '{}'),
             ('2021-06-01T00:00:00Z', 'user.create', 'user', 'kept', '{}')
      returning id`;
    expect(old).toHaveLength(3);
    const [{ n: total }] = (await stack.sql`select count(*)::int as n from audit_events`) as unknown as [{ n: number }];

    const bad = await prune(['--before', 'last tuesday']);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('is not an ISO date');
    expect((await prune(['--before', '2999-01-01'])).output).toContain('is in the future');
    expect((await prune([])).output).toContain('--before <date> is required');

    const run = await prune(['--before', '2021-01-01']);
    expect(run.code).toBe(0);
    const left = await stack.sql<{ target_id: string | null; action: string }[]>`
      select target_id, action from audit_events where at < '2022-01-01'`;
    expect(left.map((e) => e.target_id)).toEqual(['kept']);
    const pruned = await stack.client.listAuditEvents({ query: { action: 'audit.prune' } });
    expect(pruned.body.data).toHaveLength(1);
    expect(pruned.body.data[0]).toMatchObject({
      actor_id: null,
      target_type: 'audit_events',
      changes: { before: '2021-01-01T00:00:00.000Z', deleted: 2 },
    });
    const [{ n: now }] = (await stack.sql`select count(*)::int as n from audit_events`) as unknown as [{ n: number }];
    expect(now).toBe(total - 2 + 1);
  });

  /** Runs `npm run audit:prune -- <args>` against this stack's database. */
  function prune(args: string[]): Promise<{ code: number | null; output: string }> {
    const child = spawn('npm', ['run', '--silent', 'audit:prune', '--', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: stack.db.url,
        CHATQ_SECRET_KEY: TEST_SECRET_KEY,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
  }
});
