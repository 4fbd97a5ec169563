import { createLogger } from '@chatq/platform';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { settledChat } from '../harness/chats.ts';
import { refusal } from '../harness/refusal.ts';
import { ADMIN_TOKEN, startStack, type TestStack } from '../harness/stack.ts';

/** A stream that keeps every JSON line a logger writes to it. */
function captured() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines, text: () => JSON.stringify(lines) };
}

describe('the service logger (createLogger)', () => {
  it('writes [redacted] for authorization headers, api keys, secret headers, tokens and the conversation a provider error carries, and keeps the rest', () => {
    const out = captured();
    const log = createLogger({ service: 'test', level: 'info' }, out.stream);
    log.info({ req: { headers: { authorization: 'Bearer secret-1', host: 'chatq' } } }, 'incoming');
    log.info({ headers: { authorization: 'Bearer secret-2', accept: 'text/event-stream' } }, 'outgoing');
    log.info({ api_key: 'secret-3', provider: { api_key: 'secret-4', kind: 'openai' } }, 'provider');
    log.info({ apiKey: 'secret-5', options: { apiKey: 'secret-6', baseURL: 'http://llm' } }, 'sdk');
    log.child({ user_id: 'u1' }).info({ token: 'secret-7', created: { token: 'secret-8', id: 't1' } }, 'token');
    // What a failed provider call throws (the AI SDK's APICallError): the request, conversation and all.
    const failed = Object.assign(new Error('Bad request'), {
      statusCode: 400,
      requestBodyValues: { model: 'm', messages: [{ role: 'user', content: 'secret-9' }] },
    });
    log.warn({ err: failed }, 'provider call failed');
    log.warn({ err: new Error('retry', { cause: failed }) }, 'provider call failed');
    log.info({ body: { name: 'gw', secret_headers: { 'x-gateway-key': 'secret-10' } } }, 'secret headers');

    expect(out.text()).not.toContain('secret-');
    const [incoming, outgoing, provider, sdk, token, call, retry, headers] = out.lines;
    expect(incoming!.req.headers).toEqual({ authorization: '[redacted]', host: 'chatq' });
    expect(outgoing!.headers).toEqual({ authorization: '[redacted]', accept: 'text/event-stream' });
    expect(provider).toMatchObject({ api_key: '[redacted]', provider: { api_key: '[redacted]', kind: 'openai' } });
    expect(sdk).toMatchObject({ apiKey: '[redacted]', options: { apiKey: '[redacted]', baseURL: 'http://llm' } });
    expect(token).toMatchObject({ user_id: 'u1', token: '[redacted]', created: { token: '[redacted]', id: 't1' } });
    expect(token).toMatchObject({ service: 'test', msg: 'token' });
    expect(call!.err).toMatchObject({ message: 'Bad request', statusCode: 400, requestBodyValues: '[redacted]' });
    expect(retry!.err.message).toBe('retry: Bad request');
    expect(headers!.body).toEqual({ name: 'gw', secret_headers: '[redacted]' });
  });
});

describe('what the API and worker log, at debug', () => {
  const out = captured();
  const KEY = 'sk-log-test-0123456789abcdef';
  const CONTENT = 'my private question 7f3a9c';
  let stack: TestStack;
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    stack = await startStack({ env: { LOG_LEVEL: 'debug' }, logTo: out.stream });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('request lines carry request_id, user_id and chat_id', async () => {
    const chatId = randomUUID();
    const res = await refusal(
      stack.client.getChat({ params: { chat_id: chatId } }, { headers: { 'x-request-id': 'trace-me' } }),
    );
    expect(res.status).toBe(404);
    const completed = out.lines.find((l) => l.msg === 'request completed' && l.request_id === 'trace-me');
    expect(completed).toMatchObject({ request_id: 'trace-me', chat_id: chatId, user_id: expect.any(String) });
  });

  it('never carry a bearer token, a provider key or message content, even when the provider call fails', async () => {
    const member = await stack.memberClient();
    const provider = await stack.client.createProvider({
      body: { name: 'logged-provider', kind: 'openai-compatible', base_url: `${fake.origin}/v1`, api_key: KEY },
    });
    expect(provider.status).toBe(201);
    const model = await stack.client.createModelConfig({
      body: { provider_id: provider.body.provider.id, model: 'fake-model' },
    });
    const body = { content: CONTENT, model_config_id: model.body.model_config.id };
    // One answered turn, one the provider refuses (its error goes to the log with the request it failed).
    const answered = await member.createChat({ body });
    expect((await settledChat(member, answered.body.chat.id)).status).toBe('idle');
    fake.script({ status: 400 });
    const refused = await member.createChat({ body });
    expect((await settledChat(member, refused.body.chat.id)).status).toBe('error');

    expect(fake.received.map((r) => r.key)).toEqual([KEY, KEY]);
    expect(out.lines.some((l) => l.msg === 'provider call failed')).toBe(true);
    expect(out.lines.some((l) => l.msg === 'request completed' && l.user_id)).toBe(true);
    const logged = out.text();
    expect(logged).not.toContain(ADMIN_TOKEN);
    expect(logged).not.toContain(member.token!);
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain(CONTENT);
  });
});
