import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

/** The value of one series in a Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => match[2]?.includes(`${k}="${v}"`));
    if (has) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('reports API latency by route pattern and status, and the queue depth by state', async () => {
    const chat = (await stack.client.createChat({ body: {} })).body.chat;
    await stack.client.getChat({ params: { chat_id: chat.id } });
    const missing = stack.client.getChat({ params: { chat_id: '01a20fe8-449d-79c1-b133-bd01d32f65e3' } });
    expect((await refusal(missing)).status).toBe(404);

    const res = await fetch(`${stack.baseUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const route = '/api/v1/chats/:chat_id';
    expect(sample(text, 'chatq_http_request_duration_seconds_count', { method: 'GET', route, status: '200' })).toBe(1);
    expect(sample(text, 'chatq_http_request_duration_seconds_count', { method: 'GET', route, status: '404' })).toBe(1);
    expect(text).not.toContain(chat.id);
    expect(sample(text, 'bullmq_job_count', { queue: 'turns', state: 'waiting' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_resident_memory_bytes', { service: 'api' })).toBeGreaterThan(0);
  });

  it('reports turn duration, time to first token, tokens, cost and outcomes on the worker', async () => {
    const provider = (await stack.client.createProvider({ body: { name: 'priced', kind: 'mock' } })).body.provider;
    const model = (
      await stack.client.createModelConfig({
        body: {
          provider_id: provider.id,
          model: 'priced-model',
          input_price_per_mtok: 1_000,
          output_price_per_mtok: 2_000,
        },
      })
    ).body.model_config;
    const { chat, message } = (await stack.client.createChat({ body: { content: 'hi', model_config_id: model.id } }))
      .body;
    const params = { chat_id: chat.id };
    const idle = async () => ((await stack.client.getChat({ params })).body.chat.status === 'idle' ? true : undefined);
    await eventually(idle);
    const edited = await stack.client.editMessage({
      params: { ...params, message_id: message!.id },
      body: { content: 'again' },
    });
    expect(edited.status).toBe(200);
    await eventually(idle);

    const text = await stack.worker!.metrics.metrics();
    const labels = { provider: 'mock', model: 'priced-model' };
    expect(sample(text, 'chatq_turn_duration_seconds_count', { ...labels, outcome: 'completed' })).toBe(2);
    expect(sample(text, 'chatq_turn_time_to_first_token_seconds_count', labels)).toBe(2);
    const input = sample(text, 'chatq_tokens_total', { ...labels, direction: 'input' })!;
    const output = sample(text, 'chatq_tokens_total', { ...labels, direction: 'output' })!;
    expect(input).toBeGreaterThan(0);
    expect(output).toBeGreaterThan(0);
    expect(sample(text, 'chatq_cost_dollars_total', labels)).toBeCloseTo((input * 1_000 + output * 2_000) / 1e6, 6);
    // The outcome counter follows BullMQ's `completed` event, which comes after the commit that made
    // the chat idle: wait for it rather than racing it.
    const completed = async () => {
      const n = sample(await stack.worker!.metrics.metrics(), 'chatq_turns_total', { outcome: 'completed' }) ?? 0;
      return n >= 2 ? n : undefined;
    };
    expect(await eventually(completed)).toBeGreaterThanOrEqual(2);
  });
});
