import type { ChatqClient } from '@chatq/client';
import type { ProviderKind } from '@chatq/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../fakes/anthropic.ts';
import { startFakeGoogle } from '../fakes/google.ts';
import { startFakeOpenAi } from '../fakes/openai.ts';
import type { FakeProvider } from '../fakes/server.ts';
import { type FakeWebhook, startFakeWebhook } from '../fakes/webhook.ts';
import { turnReaches } from '../harness/chats.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

/** $3 / $15 per million tokens: the fakes' default 11 in + 3 out cost 33 + 45 microdollars a step. */
const PRICES = { input_price_per_mtok: 3, output_price_per_mtok: 15 };
const INPUT = { city: 'Lisbon', days: 2 };

/**
 * How each provider's request carries the tools offered, the call the model made (step 2's
 * history) and its result, read from the raw request bodies.
 */
const KINDS = [
  {
    kind: 'openai' as ProviderKind,
    start: startFakeOpenAi,
    root: '/openai/v1',
    callId: 'call_abc123',
    offered: (body: any) => body.tools.map((t: any) => t.function.name),
    history: (body: any) => {
      const call = body.messages.find((m: any) => m.role === 'assistant' && m.tool_calls);
      const result = body.messages.find((m: any) => m.role === 'tool');
      return {
        call: {
          id: call.tool_calls[0].id,
          name: call.tool_calls[0].function.name,
          input: JSON.parse(call.tool_calls[0].function.arguments),
        },
        result: { id: result.tool_call_id, output: JSON.parse(result.content) },
      };
    },
  },
  {
    kind: 'anthropic' as ProviderKind,
    start: startFakeAnthropic,
    root: '/anthropic/v1',
    callId: 'toolu_01abc',
    offered: (body: any) => body.tools.map((t: any) => t.name),
    history: (body: any) => {
      const use = body.messages
        .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
        .find((p: any) => p.type === 'tool_use');
      const result = body.messages
        .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
        .find((p: any) => p.type === 'tool_result');
      const text = typeof result.content === 'string' ? result.content : result.content[0].text;
      return {
        call: { id: use.id, name: use.name, input: use.input },
        result: { id: result.tool_use_id, output: JSON.parse(text) },
      };
    },
  },
  {
    kind: 'google' as ProviderKind,
    start: startFakeGoogle,
    root: '/gemini/v1beta',
    callId: undefined,
    offered: (body: any) => body.tools[0].functionDeclarations.map((f: any) => f.name),
    history: (body: any) => {
      const parts = body.contents.flatMap((c: any) => c.parts);
      const call = parts.find((p: any) => p.functionCall).functionCall;
      const result = parts.find((p: any) => p.functionResponse).functionResponse;
      return {
        call: { id: undefined, name: call.name, input: call.args },
        result: { id: undefined, output: result.response.content ?? result.response },
      };
    },
  },
];

describe.each(KINDS)('a two-step tool turn through $kind', ({ kind, start, root, callId, offered, history }) => {
  let stack: TestStack;
  let client: ChatqClient;
  let fake: FakeProvider;
  let hook: FakeWebhook;

  beforeAll(async () => {
    fake = await start();
    hook = await startFakeWebhook();
    hook.answer(() => ({ json: { temperature_c: 24 } }));
    stack = await startStack();
    client = stack.client;
  });
  afterAll(async () => {
    await stack.close();
    await fake.close();
    await hook.close();
  });

  it('streams the call in the provider’s format, runs the webhook, and sends its result back in the next step', async () => {
    const provider = await client.createProvider({
      body: { name: `${kind}-tools`, kind, base_url: fake.origin + root, api_key: 'sk-tools-0123456789' },
    });
    const model = await client.createModelConfig({
      body: { provider_id: provider.body.provider.id, model: 'fake-tools', ...PRICES },
    });
    const tool = await client.createTool({
      body: {
        name: 'get_weather',
        description: 'The weather in a city.',
        input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'number' } } },
        kind: 'webhook',
        url: hook.url,
      },
    });
    fake.script(
      { toolCalls: [{ id: callId ?? 'unused', name: 'get_weather', input: INPUT }] },
      { reply: ['Sunny, ', '24 °C.'] },
    );

    const { body } = await client.createChat({
      body: {
        content: 'Weather in Lisbon?',
        model_config_id: model.body.model_config.id,
        tool_ids: [tool.body.tool.id],
      },
    });
    const turnId = body.turn!.id;
    const done = await turnReaches(client, body.chat.id, turnId, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', steps: 2, finish_reason: 'stop' });

    const messages = (await client.listMessages({ params: { chat_id: body.chat.id }, query: {} })).body.data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    const call = messages[1]!.parts![0]!;
    expect(call).toMatchObject({ type: 'tool_call', name: 'get_weather', input: INPUT });
    const id = call.type === 'tool_call' ? call.tool_call_id : '';
    if (callId) expect(id).toBe(callId);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.body).toMatchObject({ tool_call_id: id, name: 'get_weather', input: INPUT });
    expect(messages[3]!.content).toBe('Sunny, 24 °C.');
    // Each step's usage and cost is on its own message.
    for (const step of [messages[1]!, messages[3]!]) {
      expect(step.usage).toMatchObject({ input_tokens: 11, output_tokens: 3 });
      expect(step.cost_micros).toBe(78);
    }

    expect(fake.received).toHaveLength(2);
    expect(offered(fake.received[0]!.body)).toEqual(['get_weather']);
    const sent = history(fake.received[1]!.body);
    expect(sent.call).toEqual({ id: callId, name: 'get_weather', input: INPUT });
    expect(sent.result.id).toBe(callId);
    expect(sent.result.output).toEqual({ temperature_c: 24 });
  });
});
