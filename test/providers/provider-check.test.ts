import { PROVIDER_CHECK_QUEUE } from '@chatq/contracts';
import { createRedis } from '@chatq/platform';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { refusal } from '../harness/refusal.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

const KEY = 'sk-check-0123456789';

describe('POST /providers/{id}/test', () => {
  let stack: TestStack;
  let fake: FakeProvider;
  let providerId: string;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    stack = await startStack();
    const provider = await stack.client.createProvider({
      body: { name: 'checked', kind: 'openai', base_url: `${fake.origin}/v1`, api_key: KEY },
    });
    providerId = provider.body.provider.id;
    await stack.client.createModelConfig({ body: { provider_id: providerId, model: 'gpt-checked' } });
  });
  afterAll(async () => {
    await stack.close();
    await fake.close();
  });

  const check = (body?: { model?: string }, id = providerId) => stack.client.testProvider({ params: { id }, body });

  it('makes a one-token call with the real key on a worker and reports success', async () => {
    const before = fake.received.length;
    const res = await check({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, model: 'gpt-checked' });
    expect(res.body.latency_ms).toBeGreaterThanOrEqual(0);
    const got = fake.received[before]!;
    expect(got).toMatchObject({ key: KEY, model: 'gpt-checked', path: '/v1/chat/completions' });
    expect(got.body.max_tokens).toBe(1);
  });

  it('needs no request body at all', async () => {
    const res = await check(); // no body, no content-type
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, model: 'gpt-checked' });
  });

  it('calls the model given in the body', async () => {
    const before = fake.received.length;
    const res = await check({ model: 'gpt-other' });
    expect(res.body).toMatchObject({ ok: true, model: 'gpt-other' });
    expect(fake.received[before]!.model).toBe('gpt-other');
  });

  it("reports the provider's refusal without echoing the key", async () => {
    fake.script({ status: 401 });
    const res = await check({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, error: 'provider rejected the API key (401)' });
    expect(JSON.stringify(res.body)).not.toContain(KEY);
  });

  it('reports an unknown model by name', async () => {
    fake.script({ status: 404 });
    const res = await check({ model: 'gpt-nope' });
    expect(res.body).toMatchObject({ ok: false, error: 'model not found: gpt-nope' });
  });

  it('asks for a model when the provider has none configured', async () => {
    const bare = await stack.client.createProvider({ body: { name: 'bare', kind: 'openai', api_key: KEY } });
    const res = await check({}, bare.body.provider.id);
    expect(res.body).toMatchObject({ ok: false, error: expect.stringMatching(/pass a model/) });
  });

  it('checks the built-in mock provider too', async () => {
    const providers = (await stack.client.listProviders()).body.data;
    const mock = providers.find((p) => p.kind === 'mock')!;
    const res = await check({}, mock.id);
    expect(res.body).toMatchObject({ ok: true });
  });

  it('is for admins only, and 404s an unknown provider', async () => {
    const member = await stack.memberClient();
    expect((await refusal(member.testProvider({ params: { id: providerId }, body: {} }))).status).toBe(403);
    const missing = await refusal(check({}, '00000000-0000-7000-8000-000000000000'));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'Provider not found.' });
  });
});

describe('POST /providers/{id}/test without a worker', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { PROVIDER_CHECK_TIMEOUT_MS: '500' } });
  });
  afterAll(() => stack.close());

  it('answers 504 with a clear message once nobody answers in time', async () => {
    const providers = (await stack.client.listProviders()).body.data;
    const err = await refusal(stack.client.testProvider({ params: { id: providers[0]!.id }, body: {} }));
    expect(err.status).toBe(504);
    expect(err.body.message).toMatch(/No worker answered the provider check in time/);
  });

  it('withdraws the unanswered check, so a worker that starts later does not run it', async () => {
    const providers = (await stack.client.listProviders()).body.data;
    expect((await refusal(stack.client.testProvider({ params: { id: providers[0]!.id }, body: {} }))).status).toBe(504);
    const redis = createRedis(stack.env.REDIS_URL!, 'consumer');
    const queue = new Queue(PROVIDER_CHECK_QUEUE, { connection: redis, prefix: stack.prefix });
    try {
      expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
    } finally {
      await queue.close();
      await redis.quit();
    }
  });
});
