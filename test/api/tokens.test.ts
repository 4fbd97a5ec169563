import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcome, refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

/** A member may hold three live tokens here; stack.memberClient() mints the first. */
const MAX_TOKENS = 3;

const meId = async (client: ChatqClient) => (await client.getMe()).body.user.id;

describe('the token lifecycle', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { MAX_TOKENS_PER_USER: String(MAX_TOKENS) } });
  });
  afterAll(() => stack.close());

  /** A fresh member, their id, and a way to mint them another token. */
  async function member() {
    const client = await stack.memberClient();
    const id = await meId(client);
    const mint = (body: { name?: string; expires_in_days?: number } = {}) =>
      client.createToken({ params: { id }, body });
    return { client, id, mint };
  }

  it('mints a named, expiring token, shown once, and lists it by name and prefix, never the secret', async () => {
    const { client, id, mint } = await member();
    const minted = await mint({ name: 'laptop', expires_in_days: 30 });
    expect(minted.status).toBe(201);
    const { token, token_info: info } = minted.body;
    expect(info).toMatchObject({ name: 'laptop', prefix: token.slice(0, 10), last_used_at: null });
    const days = (Date.parse(info.expires_at!) - Date.parse(info.created_at)) / 86_400_000;
    expect(days).toBeCloseTo(30, 3);

    const list = await client.listTokens({ params: { id } });
    expect(list.status).toBe(200);
    // Newest first: the one just minted, then the one stack.memberClient() minted.
    expect(list.body.data.map((t) => t.id)[0]).toBe(info.id);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data[1]).toMatchObject({ name: null, expires_at: null });
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(JSON.stringify(list.body)).not.toContain(client.token);

    const first = await client.listTokens({ params: { id }, query: { limit: 1 } });
    expect(first.body).toMatchObject({ has_more: true, data: [{ id: info.id }] });
    const second = await client.listTokens({ params: { id }, query: { limit: 1, after: first.body.next_cursor! } });
    expect(second.body).toMatchObject({ has_more: false, data: [{ id: list.body.data[1]!.id }] });
  });

  it('revokes a token: it answers 401 at once, even right after it was used', async () => {
    const { client, id, mint } = await member();
    const minted = (await mint({ name: 'to revoke' })).body;
    const doomed = client.as(minted.token);
    expect((await doomed.getMe()).status).toBe(200);

    const params = { id, token_id: minted.token_info.id };
    const revoked = await client.revokeToken({ params });
    expect(revoked.status).toBe(204);
    const refused = await refusal(doomed.getMe());
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ message: 'Unauthorized.' });
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="chatq", error="invalid_token"');

    expect((await client.getMe()).status).toBe(200);
    const listed = (await client.listTokens({ params: { id } })).body.data.map((t) => t.id);
    expect(listed).not.toContain(minted.token_info.id);
    const again = await refusal(client.revokeToken({ params }));
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ message: 'Token not found.' });
  });

  it('refuses an expired token with 401, though it was accepted a moment before', async () => {
    const { mint } = await member();
    const minted = (await mint({ expires_in_days: 1 })).body;
    await stack.sql`update api_tokens set expires_at = now() + interval '1 second' where id = ${minted.token_info.id}`;
    const expiring = stack.client.as(minted.token);
    expect((await expiring.getMe()).status).toBe(200);
    await sleep(1_100);
    expect((await refusal(expiring.getMe())).status).toBe(401);
  });

  it('hides other users’ tokens from members (404), and lets admins manage anyone’s', async () => {
    const alice = await member();
    const bob = await member();
    const bobsToken = (await bob.client.listTokens({ params: { id: bob.id } })).body.data[0]!.id;
    for (const err of [
      await refusal(alice.client.listTokens({ params: { id: bob.id } })),
      await refusal(alice.client.createToken({ params: { id: bob.id }, body: {} })),
      await refusal(alice.client.revokeToken({ params: { id: bob.id, token_id: bobsToken } })),
      // Alice's own user id with Bob's token id: the token is not hers.
      await refusal(alice.client.revokeToken({ params: { id: alice.id, token_id: bobsToken } })),
    ]) {
      expect(err.status).toBe(404);
    }
    expect((await bob.client.getMe()).status).toBe(200);

    const listed = await stack.client.listTokens({ params: { id: bob.id } });
    expect(listed.body.data.map((t) => t.id)).toEqual([bobsToken]);
    expect((await stack.client.revokeToken({ params: { id: bob.id, token_id: bobsToken } })).status).toBe(204);
    expect((await refusal(bob.client.getMe())).status).toBe(401);
    const nobody = '0197a3b0-0000-7000-8000-000000000000';
    expect((await refusal(stack.client.listTokens({ params: { id: nobody } }))).body).toEqual({
      message: 'User not found.',
    });
  });

  it('records when a token was last used, without a write per request', async () => {
    const { client, id } = await member();
    const lastUsed = async () =>
      (
        await stack.sql<{ last_used_at: Date | null }[]>`
        select t.last_used_at from api_tokens t where t.user_id = ${id}`
      )[0]!.last_used_at;
    await client.listChats();
    const first = await eventually(async () => (await lastUsed()) ?? undefined, { what: 'last_used_at' });
    for (let i = 0; i < 5; i++) await client.listChats();
    await sleep(100);
    expect(await lastUsed()).toEqual(first);
    const shown = (await client.listTokens({ params: { id } })).body.data[0]!;
    expect(Date.parse(shown.last_used_at!)).toBe(first.getTime());
  });
});

describe('the token limit', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { MAX_TOKENS_PER_USER: String(MAX_TOKENS) } });
  });
  afterAll(() => stack.close());

  it(`lets a member hold ${MAX_TOKENS} live tokens however many mints race, then answers 409`, async () => {
    const client = await stack.memberClient();
    const id = await meId(client);
    const mints = await Promise.all(
      Array.from({ length: 6 }, () => outcome(client.createToken({ params: { id }, body: {} }))),
    );
    expect(mints.filter((r) => r.status === 201)).toHaveLength(MAX_TOKENS - 1);
    const refused = mints.filter((r) => r.status === 409);
    expect(refused).toHaveLength(6 - (MAX_TOKENS - 1));
    expect(refused[0]!.body).toMatchObject({ message: 'Token limit reached.' });
    // Minted for the member by an admin, the token still counts against the member's limit.
    expect((await refusal(stack.client.createToken({ params: { id }, body: {} }))).status).toBe(409);
    const [live] = await stack.sql`select count(*)::int as n from api_tokens where user_id = ${id}`;
    expect(live!.n).toBe(MAX_TOKENS);
  });

  it('counts only live tokens: revoking or expiring one makes room', async () => {
    const client = await stack.memberClient();
    const id = await meId(client);
    const mint = () => client.createToken({ params: { id }, body: {} });
    const minted = [(await mint()).body.token_info.id, (await mint()).body.token_info.id];
    expect((await refusal(mint())).status).toBe(409);
    expect((await client.revokeToken({ params: { id, token_id: minted[0]! } })).status).toBe(204);
    expect((await mint()).status).toBe(201);
    expect((await refusal(mint())).status).toBe(409);
    await stack.sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${minted[1]!}`;
    expect((await mint()).status).toBe(201);
  });

  it('does not limit admins', async () => {
    const me = await meId(stack.client);
    for (let i = 0; i < MAX_TOKENS + 1; i++) {
      expect((await stack.client.createToken({ params: { id: me }, body: {} })).status).toBe(201);
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
    const member = await stack.memberClient('to-disable');
    const id = await meId(member);
    const second = member.as((await member.createToken({ params: { id }, body: {} })).body.token);

    const disabled = await stack.client.updateUser({ params: { id }, body: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect(disabled.body.user).toMatchObject({ id, disabled: true });
    for (const client of [member, second]) {
      expect((await refusal(client.getMe())).status).toBe(401);
      expect((await refusal(client.listChats())).status).toBe(401);
      expect((await refusal(client.createChat({ body: { title: 'locked out' } }))).status).toBe(401);
      expect((await refusal(client.listTokens({ params: { id } }))).status).toBe(401);
    }

    const enabled = await stack.client.updateUser({ params: { id }, body: { disabled: false } });
    expect(enabled.body.user.disabled).toBe(false);
    // Each token's refusal is cached on its own for up to a second: both get back in within it.
    for (const client of [member, second]) {
      await eventually(async () => ((await outcome(client.listChats())).status === 200 ? true : undefined), {
        timeoutMs: 2_000,
        what: 'the re-enabled user to get in with each token',
      });
    }
  });

  it('does not let an admin disable themselves, nor members disable anyone', async () => {
    const me = await meId(stack.client);
    const self = await refusal(stack.client.updateUser({ params: { id: me }, body: { disabled: true } }));
    expect(self.status).toBe(400);
    expect(self.body).toEqual({ message: 'You cannot disable yourself.' });
    expect((await stack.client.getMe()).status).toBe(200);

    const member = await stack.memberClient();
    const own = await meId(member);
    expect((await refusal(member.updateUser({ params: { id: own }, body: { disabled: true } }))).status).toBe(403);
    expect((await refusal(member.updateUser({ params: { id: me }, body: { disabled: true } }))).status).toBe(403);
  });

  it('lists users for admins only, oldest first, cursor-paginated, with whether each is disabled', async () => {
    const member = await stack.memberClient('listed');
    expect((await refusal(member.listUsers())).status).toBe(403);
    const seen: { username: string; disabled: boolean }[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await stack.client.listUsers({ query: { limit: 2, after } });
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      if (!page.body.has_more) break;
      after = page.body.next_cursor!;
    }
    const names = seen.map((u) => u.username);
    expect(names[0]).toBe('admin');
    expect(names).toEqual(expect.arrayContaining(['to-disable', 'listed']));
    expect(new Set(names).size).toBe(names.length);
    expect(seen.find((u) => u.username === 'listed')).toMatchObject({ disabled: false });
  });
});
