import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

/** A member may hold three live tokens here; stack.member() mints the first. */
const MAX_TOKENS = 3;

describe('the token lifecycle', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { MAX_TOKENS_PER_USER: String(MAX_TOKENS) } });
  });
  afterAll(() => stack.close());

  /** A fresh member, their id, and a way to mint them another token. */
  async function member() {
    const client = await stack.member();
    const id = (await client.get('/api/v1/users/me')).body.user.id as string;
    const mint = (body: object = {}) => client.post(`/api/v1/users/${id}/tokens`, body);
    return { client, id, mint };
  }

  it('mints a named, expiring token, shown once, and lists it by name and prefix, never the secret', async () => {
    const { client, id, mint } = await member();
    const minted = await mint({ name: 'laptop', expires_in_days: 30 });
    expect(minted.status).toBe(201);
    const { token, token_info: info } = minted.body;
    expect(info).toMatchObject({ name: 'laptop', prefix: token.slice(0, 10), last_used_at: null });
    const days = (Date.parse(info.expires_at) - Date.parse(info.created_at)) / 86_400_000;
    expect(days).toBeCloseTo(30, 3);

    const list = await client.get(`/api/v1/users/${id}/tokens`);
    expect(list.status).toBe(200);
    // Newest first: the one just minted, then the one stack.member() minted.
    expect(list.body.data.map((t: { id: string }) => t.id)[0]).toBe(info.id);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data[1]).toMatchObject({ name: null, expires_at: null });
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(JSON.stringify(list.body)).not.toContain(client.token);

    const first = await client.get(`/api/v1/users/${id}/tokens?limit=1`);
    expect(first.body).toMatchObject({ has_more: true, data: [{ id: info.id }] });
    const second = await client.get(`/api/v1/users/${id}/tokens?limit=1&after=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ has_more: false, data: [{ id: list.body.data[1].id }] });
  });

  it('revokes a token: it answers 401 at once, even right after it was used', async () => {
    const { client, id, mint } = await member();
    const minted = (await mint({ name: 'to revoke' })).body;
    const doomed = client.as(minted.token);
    expect((await doomed.get('/api/v1/users/me')).status).toBe(200);

    const revoked = await client.delete(`/api/v1/users/${id}/tokens/${minted.token_info.id}`);
    expect(revoked.status).toBe(204);
    const refused = await doomed.get('/api/v1/users/me');
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ message: 'Unauthorized.' });
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="chatq", error="invalid_token"');

    expect((await client.get('/api/v1/users/me')).status).toBe(200);
    const listed = (await client.get(`/api/v1/users/${id}/tokens`)).body.data.map((t: { id: string }) => t.id);
    expect(listed).not.toContain(minted.token_info.id);
    const again = await client.delete(`/api/v1/users/${id}/tokens/${minted.token_info.id}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ message: 'Token not found.' });
  });

  it('refuses an expired token with 401, though it was accepted a moment before', async () => {
    const { mint } = await member();
    const minted = (await mint({ expires_in_days: 1 })).body;
    await stack.sql`update api_tokens set expires_at = now() + interval '1 second' where id = ${minted.token_info.id}`;
    const expiring = stack.admin.as(minted.token);
    expect((await expiring.get('/api/v1/users/me')).status).toBe(200);
    await sleep(1_100);
    expect((await expiring.get('/api/v1/users/me')).status).toBe(401);
  });

  it('hides other users’ tokens from members (404), and lets admins manage anyone’s', async () => {
    const alice = await member();
    const bob = await member();
    const bobsToken = (await bob.client.get(`/api/v1/users/${bob.id}/tokens`)).body.data[0].id;
    for (const res of [
      await alice.client.get(`/api/v1/users/${bob.id}/tokens`),
      await alice.client.post(`/api/v1/users/${bob.id}/tokens`, {}),
      await alice.client.delete(`/api/v1/users/${bob.id}/tokens/${bobsToken}`),
      // Alice's own user id with Bob's token id: the token is not hers.
      await alice.client.delete(`/api/v1/users/${alice.id}/tokens/${bobsToken}`),
    ]) {
      expect(res.status).toBe(404);
    }
    expect((await bob.client.get('/api/v1/users/me')).status).toBe(200);

    const listed = await stack.admin.get(`/api/v1/users/${bob.id}/tokens`);
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([bobsToken]);
    expect((await stack.admin.delete(`/api/v1/users/${bob.id}/tokens/${bobsToken}`)).status).toBe(204);
    expect((await bob.client.get('/api/v1/users/me')).status).toBe(401);
    const nobody = '0197a3b0-0000-7000-8000-000000000000';
    expect((await stack.admin.get(`/api/v1/users/${nobody}/tokens`)).body).toEqual({ message: 'User not found.' });
  });

  it('records when a token was last used, without a write per request', async () => {
    const { client, id } = await member();
    const lastUsed = async () =>
      (
        await stack.sql<{ last_used_at: Date | null }[]>`
        select t.last_used_at from api_tokens t where t.user_id = ${id}`
      )[0]!.last_used_at;
    await client.get('/api/v1/chats');
    const first = await eventually(async () => (await lastUsed()) ?? undefined, { what: 'last_used_at' });
    for (let i = 0; i < 5; i++) await client.get('/api/v1/chats');
    await sleep(100);
    expect(await lastUsed()).toEqual(first);
    const shown = (await client.get(`/api/v1/users/${id}/tokens`)).body.data[0];
    expect(Date.parse(shown.last_used_at)).toBe(first.getTime());
  });
});

describe('the token limit', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { MAX_TOKENS_PER_USER: String(MAX_TOKENS) } });
  });
  afterAll(() => stack.close());

  it(`lets a member hold ${MAX_TOKENS} live tokens however many mints race, then answers 409`, async () => {
    const client = await stack.member();
    const id = (await client.get('/api/v1/users/me')).body.user.id;
    const mints = await Promise.all(Array.from({ length: 6 }, () => client.post(`/api/v1/users/${id}/tokens`, {})));
    expect(mints.filter((r) => r.status === 201)).toHaveLength(MAX_TOKENS - 1);
    const refused = mints.filter((r) => r.status === 409);
    expect(refused).toHaveLength(6 - (MAX_TOKENS - 1));
    expect(refused[0]!.body).toMatchObject({ message: 'Token limit reached.' });
    // Minted for the member by an admin, the token still counts against the member's limit.
    expect((await stack.admin.post(`/api/v1/users/${id}/tokens`, {})).status).toBe(409);
    const [live] = await stack.sql`select count(*)::int as n from api_tokens where user_id = ${id}`;
    expect(live!.n).toBe(MAX_TOKENS);
  });

  it('counts only live tokens: revoking or expiring one makes room', async () => {
    const client = await stack.member();
    const id = (await client.get('/api/v1/users/me')).body.user.id;
    const mint = () => client.post(`/api/v1/users/${id}/tokens`, {});
    const minted = [(await mint()).body.token_info.id, (await mint()).body.token_info.id];
    expect((await mint()).status).toBe(409);
    expect((await client.delete(`/api/v1/users/${id}/tokens/${minted[0]}`)).status).toBe(204);
    expect((await mint()).status).toBe(201);
    expect((await mint()).status).toBe(409);
    await stack.sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${minted[1]!}`;
    expect((await mint()).status).toBe(201);
  });

  it('does not limit admins', async () => {
    const me = (await stack.admin.get('/api/v1/users/me')).body.user.id;
    for (let i = 0; i < MAX_TOKENS + 1; i++) {
      expect((await stack.admin.post(`/api/v1/users/${me}/tokens`, {})).status).toBe(201);
    }
  });
});

describe('disabled users and the user list', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack.close());

  it('answers 401 on every route for a disabled user’s tokens, until they are enabled again', async () => {
    const member: ApiClient = await stack.member('to-disable');
    const id = (await member.get('/api/v1/users/me')).body.user.id;
    const second = member.as((await member.post(`/api/v1/users/${id}/tokens`, {})).body.token);

    const disabled = await stack.admin.patch(`/api/v1/users/${id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body.user).toMatchObject({ id, disabled: true });
    for (const client of [member, second]) {
      expect((await client.get('/api/v1/users/me')).status).toBe(401);
      expect((await client.get('/api/v1/chats')).status).toBe(401);
      expect((await client.post('/api/v1/chats', { title: 'locked out' })).status).toBe(401);
      expect((await client.get(`/api/v1/users/${id}/tokens`)).status).toBe(401);
    }

    expect((await stack.admin.patch(`/api/v1/users/${id}`, { disabled: false })).body.user.disabled).toBe(false);
    await eventually(async () => ((await member.get('/api/v1/users/me')).status === 200 ? true : undefined), {
      timeoutMs: 2_000,
      what: 'the re-enabled user to get in',
    });
    expect((await second.get('/api/v1/chats')).status).toBe(200);
  });

  it('does not let an admin disable themselves, nor members disable anyone', async () => {
    const me = (await stack.admin.get('/api/v1/users/me')).body.user.id;
    const self = await stack.admin.patch(`/api/v1/users/${me}`, { disabled: true });
    expect(self.status).toBe(400);
    expect(self.body).toEqual({ message: 'You cannot disable yourself.' });
    expect((await stack.admin.get('/api/v1/users/me')).status).toBe(200);

    const member = await stack.member();
    const own = (await member.get('/api/v1/users/me')).body.user.id;
    expect((await member.patch(`/api/v1/users/${own}`, { disabled: true })).status).toBe(403);
    expect((await member.patch(`/api/v1/users/${me}`, { disabled: true })).status).toBe(403);
  });

  it('lists users for admins only, oldest first, cursor-paginated, with whether each is disabled', async () => {
    const member = await stack.member('listed');
    expect((await member.get('/api/v1/users')).status).toBe(403);
    const seen: { username: string; disabled: boolean }[] = [];
    let after = '';
    for (;;) {
      const page = await stack.admin.get(`/api/v1/users?limit=2${after}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      if (!page.body.has_more) break;
      after = `&after=${page.body.next_cursor}`;
    }
    const names = seen.map((u) => u.username);
    expect(names[0]).toBe('admin');
    expect(names).toEqual(expect.arrayContaining(['to-disable', 'listed']));
    expect(new Set(names).size).toBe(names.length);
    expect(seen.find((u) => u.username === 'listed')).toMatchObject({ disabled: false });
  });
});
