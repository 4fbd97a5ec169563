import type { ChatqClient } from '@chatq/client';
import { MAX_USAGE_GROUPS, type Message, type UsageReportRow } from '@chatq/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') {
      quoted = false;
    } else if (quoted) {
      field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  expect(field).toBe('');
  return rows;
}

/** The sums of `replies` as a report row shows them (one turn per reply here). */
function sums(replies: Message[]): Omit<UsageReportRow, 'key'> {
  const priced = replies.filter((r) => r.cost_micros !== null);
  return {
    input_tokens: replies.reduce((s, r) => s + r.usage!.input_tokens, 0),
    output_tokens: replies.reduce((s, r) => s + r.usage!.output_tokens, 0),
    cost_micros: replies.length === 0 ? 0 : priced.length ? priced.reduce((s, r) => s + r.cost_micros!, 0) : null,
    turns: replies.length,
  };
}

describe('usage reports', () => {
  let stack: TestStack;
  let alice: ChatqClient;
  let bob: ChatqClient;
  let aliceId: string;
  let bobId: string;
  let priced: string;
  let unpriced: string;
  /** Every reply made below, the edited-away one included, by who made it. */
  const replies: { owner: 'alice' | 'bob'; model: string; reply: Message }[] = [];
  const today = new Date().toISOString().slice(0, 10);

  /** Sends in a new or existing chat and returns the reply once it is stored. */
  async function ask(client: ChatqClient, content: string, model: string, chatId?: string) {
    const body = { content, model_config_id: model };
    const res = chatId
      ? await client.sendMessage({ params: { chat_id: chatId }, body })
      : await client.createChat({ body });
    const id = chatId ?? (res.body as { chat: { id: string } }).chat.id;
    const reply = await eventually(async () => {
      const last = (await client.listMessages({ params: { chat_id: id } })).body.data.at(-1)!;
      return last.role === 'assistant' ? last : undefined;
    });
    return { chatId: id, reply };
  }

  /** A report as JSON, from the typed client. */
  const report = async (query: { group_by: 'user' | 'model_config' | 'day'; from?: string; to?: string }) =>
    (await stack.client.getUsageReport({ query })).body;

  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.memberClient('alice');
    bob = await stack.memberClient('bob');
    aliceId = (await alice.getMe()).body.user.id;
    bobId = (await bob.getMe()).body.user.id;
    const mock = (await stack.client.listProviders()).body.data.find((p) => p.kind === 'mock')!;
    const create = async (body: { model: string; input_price_per_mtok?: number; output_price_per_mtok?: number }) =>
      (await stack.client.createModelConfig({ body: { provider_id: mock.id, ...body } })).body.model_config.id;
    priced = await create({ model: 'mock-priced', input_price_per_mtok: 2_000, output_price_per_mtok: 10_000 });
    unpriced = await create({ model: 'mock-unpriced' });

    // Alice: a priced reply she then edits away (its tokens were spent: it counts), its
    // replacement, and an unpriced one; Bob: one unpriced reply.
    const first = await ask(alice, 'How long is a piece of string?', priced);
    replies.push({ owner: 'alice', model: priced, reply: first.reply });
    const question = (await alice.listMessages({ params: { chat_id: first.chatId } })).body.data[0]!;
    await alice.editMessage({
      params: { chat_id: first.chatId, message_id: question.id },
      body: { content: 'How long is a rope?' },
    });
    const replacement = await eventually(async () => {
      const messages = (await alice.listMessages({ params: { chat_id: first.chatId } })).body.data;
      return messages.length === 2 && messages[1]!.role === 'assistant' ? messages[1] : undefined;
    });
    replies.push({ owner: 'alice', model: priced, reply: replacement });
    replies.push({ owner: 'alice', model: unpriced, reply: (await ask(alice, 'free?', unpriced)).reply });
    replies.push({ owner: 'bob', model: unpriced, reply: (await ask(bob, 'free too?', unpriced)).reply });
    expect(replies.every((r) => r.reply.usage && r.reply.usage.input_tokens > 0)).toBe(true);

    // Days in the past, so a report has more than one: the edited-away reply on March 1st at
    // 10:00 UTC, Bob's at the last second of March 2nd.
    await stack.sql`update messages set created_at = '2025-03-01T10:00:00Z' where id = ${first.reply.id}`;
    await stack.sql`update messages set created_at = '2025-03-02T23:59:59Z' where id = ${replies[3]!.reply.id}`;
  });
  afterAll(() => stack.close());

  const of = (pick: (r: (typeof replies)[number]) => boolean) => sums(replies.filter(pick).map((r) => r.reply));

  it('groups by user, with the total of all groups, edited-away replies included', async () => {
    const res = await report({ group_by: 'user' });
    expect(res.data).toEqual(
      [
        { key: aliceId, ...of((r) => r.owner === 'alice') },
        { key: bobId, ...of((r) => r.owner === 'bob') },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(res.total).toEqual(of(() => true));
    expect(res.total.cost_micros).toBeGreaterThan(0);
  });

  it('groups by model config, an unpriced model’s cost null', async () => {
    const res = await report({ group_by: 'model_config' });
    expect(res.data).toEqual(
      [
        { key: priced, ...of((r) => r.model === priced) },
        { key: unpriced, ...of((r) => r.model === unpriced) },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(res.data.find((row) => row.key === unpriced)!.cost_micros).toBeNull();
  });

  it('groups by UTC day, from inclusive and to exclusive', async () => {
    const [edited, , , bobs] = replies;
    const all = await report({ group_by: 'day' });
    expect(all.data).toEqual([
      { key: '2025-03-01', ...sums([edited!.reply]) },
      { key: '2025-03-02', ...sums([bobs!.reply]) },
      { key: today, ...sums([replies[1]!.reply, replies[2]!.reply]) },
    ]);

    const march = await report({ group_by: 'day', from: '2025-03-01T10:00:00Z', to: '2025-03-02T23:59:59Z' });
    expect(march.data.map((row) => row.key)).toEqual(['2025-03-01']);
    expect(march.total).toEqual(sums([edited!.reply]));

    const none = await report({ group_by: 'user', from: '2025-03-01T00:00:00Z', to: '2025-03-01T10:00:00Z' });
    expect(none).toEqual({ data: [], total: { input_tokens: 0, output_tokens: 0, cost_micros: 0, turns: 0 } });
  });

  it('answers Accept: text/csv with the same rows as CSV under a header row', async () => {
    const json = await report({ group_by: 'day' });
    const res = await fetch(`${stack.baseUrl}/api/v1/usage?group_by=day`, {
      headers: { authorization: `Bearer ${stack.admin.token}`, accept: 'text/csv' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('vary')).toMatch(/accept/i);
    const [header, ...rows] = parseCsv(await res.text());
    expect(header).toEqual(['key', 'input_tokens', 'output_tokens', 'cost_micros', 'turns']);
    const parsed = rows.map(([key, input, output, cost, turns]) => ({
      key: key!,
      input_tokens: Number(input),
      output_tokens: Number(output),
      cost_micros: cost === '' ? null : Number(cost),
      turns: Number(turns),
    }));
    expect(parsed).toEqual(json.data);

    // An unpriced cost is an empty field.
    const byModel = await fetch(`${stack.baseUrl}/api/v1/usage?group_by=model_config`, {
      headers: { authorization: `Bearer ${stack.admin.token}`, accept: 'text/csv' },
    });
    const unpricedRow = parseCsv(await byModel.text()).find((row) => row[0] === unpriced)!;
    expect(unpricedRow[3]).toBe('');

    const preferred = await stack.admin.request('GET', '/api/v1/usage?group_by=day', undefined, {
      accept: 'text/csv;q=0.5, application/json',
    });
    expect(preferred.headers.get('content-type')).toMatch(/^application\/json/);
    expect(preferred.body).toEqual(json);
  });

  it('is for admins: a member is refused 403, and the refusal audited', async () => {
    const err = await refusal(alice.getUsageReport({ query: { group_by: 'user' } }));
    expect(err.status).toBe(403);
    const refused = await stack.client.listAuditEvents({ query: { action: 'request.refused', actor_id: aliceId } });
    expect(refused.body.data.map((e) => e.target_id)).toContain('GET /api/v1/usage');
  });

  it('refuses a missing or unknown group_by and a range that ends before it starts', async () => {
    const missing = await stack.admin.get('/api/v1/usage');
    expect(missing.status).toBe(400);
    expect(missing.body.validations.map((v: { field: string }) => v.field)).toEqual(['querystring.group_by']);
    const unknown = await stack.admin.get('/api/v1/usage?group_by=week');
    expect(unknown.status).toBe(400);
    expect(unknown.body.validations.map((v: { field: string }) => v.field)).toEqual(['querystring.group_by']);
    const reversed = await stack.admin.get(
      '/api/v1/usage?group_by=day&from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z',
    );
    expect(reversed.status).toBe(400);
    expect(reversed.body.validations).toEqual([{ field: 'querystring.from', detail: 'must be before to' }]);
  });

  it(`refuses a report of more than ${MAX_USAGE_GROUPS} groups, and serves it once the range is narrowed`, async () => {
    // One reply a day for MAX_USAGE_GROUPS + 1 days from 2000-01-01, in a chat of Bob's.
    const [chat] = await stack.sql<{ id: string }[]>`select id from chats where owner_id = ${bobId} limit 1`;
    await stack.sql`
      insert into messages (chat_id, role, content, usage, cost_micros, created_at)
      select ${chat!.id}, 'assistant', 'old', '{"input_tokens": 1, "output_tokens": 1}', 1,
             timestamptz '2000-01-01T12:00:00Z' + make_interval(days => d)
      from generate_series(0, ${MAX_USAGE_GROUPS}) d`;
    const err = await refusal(stack.client.getUsageReport({ query: { group_by: 'day', to: '2020-01-01T00:00:00Z' } }));
    expect(err.status).toBe(400);
    expect(err.body).toEqual({
      message: 'Usage report too large.',
      detail: `More than ${MAX_USAGE_GROUPS} groups; narrow from and to.`,
    });
    const last = new Date(Date.UTC(2000, 0, 1) + MAX_USAGE_GROUPS * 86_400_000).toISOString();
    const narrowed = await report({ group_by: 'day', to: last });
    expect(narrowed.data).toHaveLength(MAX_USAGE_GROUPS);
    expect(narrowed.total).toEqual({
      input_tokens: MAX_USAGE_GROUPS,
      output_tokens: MAX_USAGE_GROUPS,
      cost_micros: MAX_USAGE_GROUPS,
      turns: 0,
    });
  });
});
