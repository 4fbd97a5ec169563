import type { ChatqClient } from '@chatq/client';
import { ErrorBody, MAX_MESSAGE_CHARS, OpenAIErrorBody, speaksOpenAI } from '@chatq/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { ADMIN_TOKEN, startStack, type TestStack } from '../harness/stack.ts';

/** A digest of every table a request could change (not idempotency_keys: it remembers refusals by design). */
async function databaseDigest(stack: TestStack): Promise<string> {
  const [row] = await stack.sql<{ h: string }[]>`
    select md5(coalesce(string_agg(r, e'\\n' order by r), '')) as h from (
      select 'u' || t::text as r from users t union all
      select 'k' || t::text from api_tokens t union all
      select 'p' || t::text from providers t union all
      select 'm' || t::text from model_configs t union all
      select 'c' || t::text from chats t union all
      select 'g' || t::text from messages t union all
      select 't' || t::text from turns t
    ) s`;
  return row!.h;
}

/** Percent-encodes any string (a lone surrogate becomes U+FFFD instead of throwing). */
const encode = (s: string) => encodeURIComponent(s.toWellFormed());

/** `arbitrary` in about one case out of `oneIn`, else null. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, oneIn: number) =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { n: nest(depth - 1) });

describe('hostile input', () => {
  let stack: TestStack;
  let member: ChatqClient;
  let ids: string[];

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    member = await stack.memberClient('fuzz-member');
    const { chat, message } = (await member.createChat({ body: { content: 'seed' } })).body;
    const me = (await member.getMe()).body.user;
    const provider = (await stack.client.listProviders()).body.data[0]!;
    const config = (await stack.client.listModelConfigs()).body.data[0]!;
    const turn = (await stack.sql`select id from turns limit 1`)[0]!.id as string;
    ids = [chat.id, message!.id, me.id, provider.id, config.id, turn];
  });
  afterAll(() => stack.close());

  it('refuses a body over the limit with 413 and a message', async () => {
    const before = await databaseDigest(stack);
    const res = await refusal(member.createChat({ body: { content: 'x'.repeat(300 * 1024) } }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ message: 'Request body is too large.', detail: 'The limit is 262144 bytes.' });
    expect(await databaseDigest(stack)).toBe(before);
  });

  /** A provider named `p` with these options, sent by the admin. */
  const provider = (options: Record<string, unknown>) => (admin: ChatqClient) =>
    admin.createProvider({ body: { name: 'p', kind: 'mock', options } });
  it.each<[string, (admin: ChatqClient) => Promise<unknown>, string]>([
    [
      'message content',
      (admin) => admin.createChat({ body: { content: 'x'.repeat(MAX_MESSAGE_CHARS + 1) } }),
      'body.content',
    ],
    ['chat title', (admin) => admin.createChat({ body: { title: 't'.repeat(201) } }), 'body.title'],
    ['username', (admin) => admin.createUser({ body: { username: 'u'.repeat(65) } }), 'body.username'],
    ['provider name', (admin) => admin.createProvider({ body: { name: 'n'.repeat(101), kind: 'mock' } }), 'body.name'],
    ['a NUL character', (admin) => admin.createChat({ body: { content: 'a\u0000b' } }), 'body'],
    ['a NUL in an options key', provider({ 'k\u0000': 1 }), 'body'],
    ['provider options over 16 KiB', provider({ k: 'v'.repeat(17_000) }), 'body.options'],
    ['JSON nested 40 deep', provider({ n: nest(39) }), 'body'],
    ['a lone surrogate in message content', (admin) => admin.createChat({ body: { content: 'a\ud800b' } }), 'body'],
    ['a lone surrogate in options', provider({ k: '\udc00' }), 'body'],
  ])('refuses an oversized or unstorable %s with 400 naming the field', async (_, call, field) => {
    const before = await databaseDigest(stack);
    const res = await refusal(call(stack.client));
    expect(res.status).toBe(400);
    expect(res.body.validations!.map((v) => v.field)).toContain(field);
    expect(await databaseDigest(stack)).toBe(before);
  });

  it('refuses a lone surrogate in model config options with 400', async () => {
    const before = await databaseDigest(stack);
    const res = await refusal(
      stack.client.createModelConfig({ body: { provider_id: ids[3]!, model: 'm', options: { k: '\ud800' } } }),
    );
    expect(res.status).toBe(400);
    expect(res.body.validations).toEqual([{ field: 'body', detail: 'must not contain unpaired surrogates' }]);
    expect(await databaseDigest(stack)).toBe(before);
  });

  /**
   * The first step of a watch stream: a 400 is not retried, so it throws at once; a stream that
   * opened instead ends at the timeout, failing the test rather than hanging it.
   */
  const watch = (request: Parameters<ChatqClient['watchChats']>[0]) =>
    member.watchChats(request, { maxReconnects: 0, signal: AbortSignal.timeout(10_000) }).next();
  it.each<[string, () => Promise<unknown>, string]>([
    [
      'a year Postgres cannot store',
      () => member.getMyUsage({ query: { from: '0000-01-01T00:00:00Z' } }),
      'querystring.from',
    ],
    ['an event id past 64 bits', () => watch({ query: { after: '99999999999999999999-0' } }), 'querystring.after'],
    [
      'the last possible event id',
      () => watch({ query: { after: '18446744073709551615-18446744073709551615' } }),
      'querystring.after',
    ],
    [
      'a Last-Event-ID past 64 bits',
      () => watch({ headers: { 'last-event-id': `${'9'.repeat(20)}-1` } }),
      'headers.last-event-id',
    ],
    ['an oversized page cursor', () => member.listChats({ query: { after: 'A'.repeat(201) } }), 'querystring.after'],
    ['a cursor this list never issued', () => member.listChats({ query: { after: 'czE' } }), 'querystring.after'],
  ])('refuses %s with 400 naming the field', async (_, call, field) => {
    const res = await refusal(call());
    expect(res.status).toBe(400);
    expect(res.body.validations!.map((v) => v.field)).toContain(field);
  });

  it('never answers 5xx, always answers errors in the error shape, and changes nothing when it refuses', async () => {
    // /openapi.json is outside the route table: the typed client has no method for it.
    const spec = (await stack.admin.get('/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
    expect(operations.length).toBeGreaterThan(15);

    const ascii = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    const hostileText = fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\u0000b',
      '\ud800',
      '💩'.repeat(50),
      "'; drop table chats; --",
      '%',
      '_',
      '\\',
      '__proto__',
      'constructor',
      '9'.repeat(400),
      'NaN',
      '-1',
      '1e400',
      'x'.repeat(5_000),
    );
    const id = fc.oneof(
      fc.constantFrom(...ids),
      fc.uuid(),
      fc.constantFrom('00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-7FFF-BFFF-FFFFFFFFFFFF'),
    );
    const segment = fc.oneof(
      { weight: 8, arbitrary: id },
      fc.string({ maxLength: 40 }).map(encode),
      hostileText.map(encode),
      fc.constantFrom('%', '%zz', '..', '%2e%2e', '%00', '%F0%9F%92%A9', 'a'.repeat(3_000), '%uD800'),
    );
    // Dates and event ids at and past what Postgres and Redis can take.
    const hostileDate = fc.oneof(
      fc.constantFrom(
        '0000-01-01T00:00:00Z',
        '0000-12-31T23:59:59+14:00',
        '0001-01-01T00:00:00+14:00',
        '9999-12-31T23:59:59-14:00',
        '2024-02-30T00:00:00Z',
        '2024-01-01T24:00:00Z',
        '+275760-09-13T00:00:00Z',
      ),
      fc
        .date({ min: new Date(-62_198_755_200_000), max: new Date(253_402_300_799_999), noInvalidDate: true })
        .map((d) => d.toISOString()),
    );
    const bigPart = fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String);
    const hostileEventId = fc.oneof(
      fc.constantFrom(
        '0',
        '0-0',
        '99999999999999999999-0',
        '18446744073709551615-18446744073709551615',
        '18446744073709551616-0',
        '18446744073709551615-0',
        '1-99999999999999999999',
        `${'9'.repeat(21)}-0`,
      ),
      fc.tuple(bigPart, bigPart).map(([ms, seq]) => `${ms}-${seq}`),
    );
    const queryValue = fc.oneof(
      hostileDate,
      hostileEventId,
      fc.constantFrom('0', '1', '100', '101', '-1', '1.5', '1e2', 'abc', 'true', 'false', 'idle', 'error', 'TRUE'),
      fc.constantFrom('bm9wZQ', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'czE', 'czA', 'cy0x'),
      hostileText,
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    const query = fc.oneof(
      fc
        .array(
          fc.tuple(
            fc.oneof(fc.constantFrom('limit', 'after', 'before', 'status', 'archived', 'q', 'from', 'to'), fc.string()),
            queryValue,
          ),
          { maxLength: 4 },
        )
        .map((pairs) => new URLSearchParams(pairs).toString()),
      fc.constantFrom('%', '%%', 'limit=%zz', 'q=%00', 'limit[]=1', 'limit=1&limit=2', '&&&', '=x', 'q=%25%5F'),
    );
    const field = fc.constantFrom(
      'content',
      'title',
      'archived',
      'model_config_id',
      'username',
      'role',
      'name',
      'kind',
      'base_url',
      'api_key',
      'options',
      'provider_id',
      'model',
      'enabled',
      'is_default',
      'context_limit',
      'input_price_per_mtok',
      'rate_limits',
      '__proto__',
    );
    const fieldValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      hostileText,
      id,
      // Hostile text inside objects (options, headers), keys included.
      fc.dictionary(fc.oneof(fc.string(), hostileText), fc.oneof(hostileText, fc.dictionary(hostileText, hostileText))),
      // Out of range or null: a valid low limit would throttle the rest of the run.
      fc.record({
        requests_per_minute: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 1_000_001 }), fc.constant(null)),
      }),
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(field, fieldValue, { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        '',
        'null',
        '[]',
        '{',
        '"str"',
        '1',
        '\ufeff{}',
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
        `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
        JSON.stringify({ name: 'deep', kind: 'mock', options: nest(200) }),
        '{"content":"a\\u0000b"}',
        '{"content":"\\ud800"}',
        '{"content":"a\\udc00b"}',
        '{"name":"p","kind":"mock","options":{"k":"\\ud800"}}',
        '{"name":"p","kind":"mock","options":{"\\udfff":1}}',
        JSON.stringify({ content: 'x'.repeat(270_000) }),
      ),
    );
    // Valid bodies per route, so that hostile values also reach the code behind validation.
    const examples: Record<string, Record<string, unknown>> = {
      'POST /api/v1/chats': { content: 'hello', title: 'fuzz' },
      'PATCH /api/v1/chats/{chat_id}': { title: 'renamed', archived: false },
      'POST /api/v1/chats/{chat_id}/messages': { content: 'hello' },
      'PATCH /api/v1/chats/{chat_id}/messages/{message_id}': { content: 'edited' },
      'POST /api/v1/users': { username: 'fuzz-user', role: 'member' },
      'PATCH /api/v1/users/{id}': { rate_limits: { turns_per_minute: 1_000_000 } },
      'POST /api/v1/providers': { name: 'fuzz-provider', kind: 'mock', options: { a: 1 } },
      'PATCH /api/v1/providers/{id}': { name: 'renamed', options: {} },
      'POST /api/v1/model-configs': { provider_id: ids[3], model: 'm', options: {} },
      'PATCH /api/v1/model-configs/{id}': { display_name: 'x' },
    };
    const bodyFor = (operation: { method: string; path: string }) => {
      const example = examples[`${operation.method} ${operation.path}`];
      if (!example) return body;
      const keys = Object.keys(example);
      const mutated = fc.oneof(
        fc.constant(example),
        fc.tuple(fc.oneof(fc.constantFrom(...keys), field), fieldValue).map(([k, v]) => ({ ...example, [k]: v })),
        fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(example).filter(([key]) => key !== k))),
      );
      return fc.oneof({ weight: 3, arbitrary: mutated.map((o) => JSON.stringify(o)) }, { weight: 2, arbitrary: body });
    };
    const request = fc.constantFrom(...operations).chain((operation) =>
      fc.record({
        operation: fc.constant(operation),
        method: rarely(fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'), 8),
        segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
        query: rarely(query, 2),
        body: fc.option(bodyFor(operation), { freq: 6 }),
        token: fc.oneof(
          { weight: 5, arbitrary: fc.constant<string | undefined>(ADMIN_TOKEN) },
          { weight: 3, arbitrary: fc.constant(member.token) },
          { weight: 1, arbitrary: fc.constantFrom(undefined, 'cq_not_a_real_token_at_all_xxxxxxxx', 'x') },
        ),
        authorization: rarely(fc.string({ unit: ascii, maxLength: 600 }), 10),
        contentType: fc.constantFrom<string | undefined>(
          'application/json',
          'application/json',
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          undefined,
        ),
        idempotencyKey: rarely(fc.string({ unit: ascii, maxLength: 300 }), 3),
        requestId: rarely(fc.string({ unit: ascii, maxLength: 200 }), 4),
        lastEventId: rarely(fc.oneof(hostileEventId, fc.string({ unit: ascii, maxLength: 300 })), 3),
      }),
    );

    let digest = await databaseDigest(stack);
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0;
        const path = r.operation.path.replace(/\{[^}]+\}/g, () => r.segments[i++]!);
        const method = r.method ?? r.operation.method;
        const headers: Record<string, string> = {};
        if (r.authorization !== null) headers.authorization = r.authorization;
        else if (r.token) headers.authorization = `Bearer ${r.token}`;
        if (r.contentType && r.body !== null) headers['content-type'] = r.contentType;
        if (r.idempotencyKey !== null) headers['idempotency-key'] = r.idempotencyKey;
        if (r.requestId !== null) headers['x-request-id'] = r.requestId;
        if (r.lastEventId !== null) headers['last-event-id'] = r.lastEventId;
        const res = await fetch(`${stack.baseUrl}${path}${r.query === null ? '' : `?${r.query}`}`, {
          method,
          headers,
          body: r.body === null || method === 'GET' ? undefined : r.body,
          // Generous: the suite shares two cores with process-level tests that load them fully.
          signal: AbortSignal.timeout(30_000),
        });
        // An accepted event stream never ends by itself: its headers are the answer.
        const streaming = res.ok && res.headers.get('content-type')?.startsWith('text/event-stream');
        const text = streaming ? (await res.body?.cancel(), '') : await res.text();
        const what = `${method} ${path} -> ${res.status} ${text.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        const after = await databaseDigest(stack);
        if (res.status >= 400) {
          // The OpenAI facade answers in OpenAI's shape, the rest in chatq's.
          const shape = speaksOpenAI(path) ? OpenAIErrorBody : ErrorBody;
          expect(shape.safeParse(JSON.parse(text)).success, what).toBe(true);
          expect(after, `${what}: a refused request changed the database`).toBe(digest);
        }
        digest = after;
      }),
      // Bounded in time as well as runs: the suite shares two cores.
      { numRuns: 1_000, interruptAfterTimeLimit: 30_000 },
    );
  }, 120_000);
});
