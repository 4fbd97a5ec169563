import type { ProviderKind } from '@chatq/contracts';
import { classifyError } from '@chatq/worker/llm/classify.ts';
import { createModelCaller } from '@chatq/worker/llm/registry.ts';
import type { ChatTurnMessage, ModelCall } from '@chatq/worker/llm/types.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../fakes/anthropic.ts';
import { startFakeGoogle } from '../fakes/google.ts';
import { startFakeOpenAi } from '../fakes/openai.ts';
import { startFakeOpenAiResponses } from '../fakes/openai-responses.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { eventually } from '../harness/stack.ts';

interface KindCase {
  name: string;
  kind: Exclude<ProviderKind, 'mock'>;
  /** Provider options the kind needs besides the ones every case sets. */
  options?: Record<string, unknown>;
  start: () => Promise<FakeProvider>;
  /** The API root under the fake's origin; not the SDK's default, to show base_url is honoured. */
  root: string;
  path: (model: string) => string;
}

const KINDS: KindCase[] = [
  {
    name: 'openai',
    kind: 'openai',
    start: startFakeOpenAi,
    root: '/openai/v1',
    path: () => '/openai/v1/chat/completions',
  },
  {
    name: 'openai (Responses API)',
    kind: 'openai',
    options: { api: 'responses' },
    start: startFakeOpenAiResponses,
    root: '/openai/v1',
    path: () => '/openai/v1/responses',
  },
  {
    name: 'openai-compatible',
    kind: 'openai-compatible',
    start: startFakeOpenAi,
    root: '/compat/v1',
    path: () => '/compat/v1/chat/completions',
  },
  {
    name: 'anthropic',
    kind: 'anthropic',
    start: startFakeAnthropic,
    root: '/anthropic/v1',
    path: () => '/anthropic/v1/messages',
  },
  {
    name: 'google',
    kind: 'google',
    start: startFakeGoogle,
    root: '/gemini/v1beta',
    path: (model) => `/gemini/v1beta/models/${model}:streamGenerateContent?alt=sse`,
  },
];

/** The caller a worker builds with the default settings. */
const callModel = createModelCaller({ allowLinkLocal: false, maxReplyChars: 400_000 });

const HISTORY: ChatTurnMessage[] = [
  { role: 'user', content: 'first question' },
  { role: 'assistant', content: 'first answer' },
  { role: 'user', content: 'second question' },
];

describe.each(KINDS)('$name caller', ({ kind, options, start, root, path }) => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await start();
  });
  afterAll(() => fake.close());

  const call = (overrides: Partial<ModelCall['model']> = {}, signal = AbortSignal.timeout(10_000)) => {
    const deltas: string[] = [];
    const promise = callModel({
      provider: {
        kind,
        baseUrl: fake.origin + root,
        apiKey: `key-for-${kind}`,
        headers: { 'x-gateway-key': `gateway-key-for-${kind}` },
        options: { temperature: 0.3, headers: { 'x-title': 'chatq' }, ...options },
      },
      model: {
        name: 'test-model',
        maxOutputTokens: 64,
        contextLimit: null,
        options: { temperature: 0.7 },
        ...overrides,
      },
      messages: HISTORY,
      signal,
      onDelta: (text) => deltas.push(text),
    });
    return { promise, deltas };
  };

  it('streams the reply delta by delta and reports the provider usage', async () => {
    fake.script({ reply: ['Hi', ' there', '!'], usage: { input: 21, output: 4, cacheRead: 5 } });
    const { promise, deltas } = call();
    const reply = await promise;
    expect(reply.text).toBe('Hi there!');
    expect(deltas).toEqual(['Hi', ' there', '!']);
    // input_tokens counts every prompt token; Anthropic's wire format reports cache reads apart.
    expect(reply.usage).toMatchObject({
      input_tokens: kind === 'anthropic' ? 26 : 21,
      output_tokens: 4,
      cache_read_tokens: 5,
    });
  });

  it('sends the key in the provider header, to base_url, with the model and history in order', async () => {
    const before = fake.received.length;
    await call().promise;
    const got = fake.received[before]!;
    expect(got.path).toBe(path('test-model'));
    expect(got.key).toBe(`key-for-${kind}`);
    expect(got.model).toBe('test-model');
    expect(got.messages).toEqual(HISTORY);
  });

  it('passes model options over provider options, max_output_tokens and extra headers', async () => {
    const before = fake.received.length;
    await call().promise;
    const body = fake.received[before]!.body;
    const sent = kind === 'google' ? body.generationConfig : body;
    expect(sent.temperature).toBe(0.7);
    expect(sent.max_tokens ?? sent.max_output_tokens ?? sent.maxOutputTokens).toBe(64);
    expect(fake.received[before]!.headers['x-title']).toBe('chatq');
  });

  it('sends the provider’s secret headers with the call', async () => {
    const before = fake.received.length;
    await call().promise;
    expect(fake.received[before]!.headers['x-gateway-key']).toBe(`gateway-key-for-${kind}`);
    expect(fake.received[before]!.key).toBe(`key-for-${kind}`);
  });

  it('sends the history as claimed: the claim already fitted it to context_limit', async () => {
    const before = fake.received.length;
    await call({ contextLimit: 64 + 12 }).promise;
    expect(fake.received[before]!.messages).toEqual(HISTORY);
  });

  it('fails a 401 as a non-retryable auth error', async () => {
    fake.script({ status: 401 });
    const err = await call().promise.catch((e: unknown) => e);
    expect(classifyError(err, 'test-model')).toMatchObject({
      kind: 'auth',
      retryable: false,
      message: 'provider rejected the API key (401)',
    });
  });

  it('reports a 429 as retryable with its retry-after', async () => {
    fake.script({ status: 429, headers: { 'retry-after': '7' } });
    const err = await call().promise.catch((e: unknown) => e);
    expect(classifyError(err)).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 7_000 });
  });

  it('reports a 404 as model not found, naming the model', async () => {
    fake.script({ status: 404 });
    const err = await call().promise.catch((e: unknown) => e);
    expect(classifyError(err, 'test-model')).toMatchObject({
      retryable: false,
      message: 'model not found: test-model',
    });
  });

  it('reports a connection dropped mid-stream as retryable, after the deltas that arrived', async () => {
    fake.script({ disconnectAfter: ['partial', ' reply'] });
    const { promise, deltas } = call();
    const err = await promise.catch((e: unknown) => e);
    expect(classifyError(err)).toMatchObject({ kind: 'network', retryable: true });
    expect(deltas.join('')).toBe('partial reply');
  });

  it('reports a response that ends cleanly before the reply is complete as retryable', async () => {
    fake.script({ truncateAfter: ['cut'] });
    const err = await call().promise.catch((e: unknown) => e);
    expect(classifyError(err)).toMatchObject({ kind: 'network', retryable: true });
  });

  it('reports an error sent inside an open stream as retryable', async () => {
    fake.script({ streamErrorAfter: ['so far'], error: 'overloaded' });
    const err = await call().promise.catch((e: unknown) => e);
    expect(classifyError(err)).toMatchObject({ retryable: true });
  });

  it('stops mid-stream when its signal is aborted, and does not call that retryable', async () => {
    fake.script({ hang: true });
    const before = fake.received.length;
    const controller = new AbortController();
    const pending = call({}, controller.signal).promise.catch((e: unknown) => e);
    await eventually(async () => (fake.received.length > before ? true : undefined));
    controller.abort();
    expect(classifyError(await pending)).toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('stops when its signal times out, as a retryable timeout', async () => {
    fake.script({ hang: true });
    const err = await call({}, AbortSignal.timeout(200)).promise.catch((e: unknown) => e);
    expect(classifyError(err)).toMatchObject({ kind: 'timeout', retryable: true });
  });
});

describe('google caller', () => {
  it("fails Google's 400 for a bad key as an auth error, not a bad request", async () => {
    const fake = await startFakeGoogle();
    try {
      fake.script({ status: 400 });
      const err = await callModel({
        provider: { kind: 'google', baseUrl: `${fake.origin}/v1beta`, apiKey: 'bad', headers: {}, options: {} },
        model: { name: 'gemini-x', maxOutputTokens: null, contextLimit: null, options: {} },
        messages: HISTORY,
        signal: AbortSignal.timeout(5_000),
      }).catch((e: unknown) => e);
      expect(classifyError(err)).toMatchObject({ kind: 'auth', retryable: false });
    } finally {
      await fake.close();
    }
  });
});

describe('provider configuration', () => {
  it('refuses a keyed provider without a key, and openai-compatible without base_url, without retrying', async () => {
    const base = { options: {}, baseUrl: null, apiKey: null, headers: {} };
    const model = { name: 'm', maxOutputTokens: null, contextLimit: null, options: {} };
    for (const kind of ['openai', 'anthropic', 'google', 'openai-compatible'] as const) {
      const err = await callModel({
        provider: { ...base, kind },
        model,
        messages: HISTORY,
        signal: AbortSignal.timeout(5_000),
      }).catch((e: unknown) => e);
      expect(classifyError(err)).toMatchObject({ retryable: false, kind: 'bad_request' });
    }
  });
});
