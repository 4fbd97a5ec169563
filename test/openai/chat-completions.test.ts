import type { ChatqClient } from '@chatq/client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockModel, mockModel } from '../harness/models.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let member: ChatqClient;
let openai: OpenAI;
let modelId: string;

beforeAll(async () => {
  stack = await startStack();
  modelId = await createMockModel(stack.client, 'facade-chat', { display_name: 'Facade Chat' });
  member = await stack.memberClient();
  // The official SDK, pointed at chatq: only baseURL and the API key change.
  openai = new OpenAI({ baseURL: `${stack.baseUrl}/openai/v1`, apiKey: member.token, maxRetries: 0 });
});
afterAll(async () => {
  await stack.close();
});

describe('models through the OpenAI SDK', () => {
  it('lists the enabled model configs by id, with their display names', async () => {
    const models = [];
    for await (const model of openai.models.list()) models.push(model);
    expect(models).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: modelId, object: 'model', display_name: 'Facade Chat' })]),
    );
    expect((await openai.models.retrieve('Facade Chat')).id).toBe(modelId);
  });
});

describe('chat completions through the OpenAI SDK', () => {
  it('answers a chat.completion from a chatq turn, accepting the display name as model', async () => {
    const completion = await openai.chat.completions.create({
      model: 'Facade Chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
        { role: 'assistant', content: 'Hi!' },
        { role: 'user', content: 'plan a trip' },
      ],
      temperature: 0.2,
      max_tokens: 100,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    // The mock answers the newest user message and quotes the system prompt.
    expect(completion.choices[0]!.message.content).toContain('You said: "plan a trip"');
    expect(completion.choices[0]!.message.content).toContain('System: "Be brief."');
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    // The sampling settings ride on the turn, over the model config's options (the worker merges them).
    const [turn] = await stack.sql`select options from turns where id = ${completion.id.replace('chatcmpl-', '')}`;
    expect(turn!.options).toEqual({ temperature: 0.2, max_output_tokens: 100 });
  });

  it('keeps its chat out of the caller’s chat list, but counts its usage', async () => {
    await openai.chat.completions.create({ model: modelId, messages: [{ role: 'user', content: 'count me' }] });
    const chats = await member.listChats({ query: {} });
    expect(chats.body.data).toEqual([]);
    const usage = await member.getMyUsage({ query: {} });
    expect(usage.body.usage.replies).toBeGreaterThan(0);
  });

  it('streams chat.completion.chunk events ending with the usage when include_usage is set', async () => {
    const stream = await openai.chat.completions.create({
      model: modelId,
      messages: [{ role: 'user', content: 'stream this' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toContain('You said: "stream this"');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('cancels the turn of a streamed completion whose client goes away', async () => {
    const slow = await mockModel(stack.client, 10_000);
    const stream = await openai.chat.completions.create({
      model: slow,
      messages: [{ role: 'user', content: 'take long' }],
      stream: true,
    });
    for await (const chunk of stream) {
      // The first chunk (the role) arrives at once; then the client leaves.
      const turnId = chunk.id.replace('chatcmpl-', '');
      stream.controller.abort();
      const status = await eventually(async () => {
        const [turn] = await stack.sql<{ status: string }[]>`select status from turns where id = ${turnId}`;
        return turn!.status === 'cancelled' ? turn!.status : undefined;
      });
      expect(status).toBe('cancelled');
      break;
    }
  });

  it('streams without usage when include_usage is not set', async () => {
    const stream = await openai.chat.completions.create({
      model: modelId,
      messages: [{ role: 'user', content: 'no usage' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => !c.usage)).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('function calling through the OpenAI SDK', () => {
  it('answers tool_calls, then the tool message’s result in the next, stateless request', async () => {
    const toolModel = await createMockModel(stack.client, 'facade-tools', {
      options: { tool_calls: [{ name: 'get_weather', input: { city: 'Lisbon' } }] },
    });
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather in a city.',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'weather in Lisbon?' };
    const first = await openai.chat.completions.create({ model: toolModel, messages: [question], tools });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse((call as OpenAI.ChatCompletionMessageFunctionToolCall).function.arguments)).toEqual({
      city: 'Lisbon',
    });

    const second = await openai.chat.completions.create({
      model: toolModel,
      tools,
      messages: [
        question,
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: '{"temperature_c":24}' },
      ],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    // The mock names the tool results it read.
    expect(second.choices[0]!.message.content).toContain('get_weather returned "{\\"temperature_c\\":24}"');
    // The first request's turn did not stay waiting: a chat completion holds nothing between requests.
    const waiting = await stack.sql`select count(*)::int as n from turns where status = 'requires_action'`;
    expect(waiting[0]!.n).toBe(0);
  });

  it('streams the tool calls with finish_reason tool_calls', async () => {
    const toolModel = await createMockModel(stack.client, 'facade-tools-stream', {
      options: { tool_calls: [{ name: 'lookup', input: { q: 'x' } }] },
    });
    const stream = await openai.chat.completions.create({
      model: toolModel,
      messages: [{ role: 'user', content: 'look it up' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toMatchObject([{ index: 0, type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });
});

describe('errors in OpenAI’s shape', () => {
  it('answers an unknown model with 404 model_not_found', async () => {
    const err = await openai.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
  });

  it('refuses an unsupported parameter with 400 unsupported_parameter', async () => {
    const err = await openai.chat.completions
      .create({ model: modelId, messages: [{ role: 'user', content: 'hi' }], logprobs: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'logprobs' });
  });

  it('refuses n other than 1, and a conversation that ends with the assistant', async () => {
    const many = await openai.chat.completions
      .create({ model: modelId, messages: [{ role: 'user', content: 'hi' }], n: 2 })
      .catch((e: unknown) => e);
    expect(many).toMatchObject({ status: 400, param: 'n', type: 'invalid_request_error' });
    const ended = await openai.chat.completions
      .create({ model: modelId, messages: [{ role: 'assistant', content: 'done' }] })
      .catch((e: unknown) => e);
    expect(ended).toMatchObject({ status: 400, param: 'messages' });
  });

  it('refuses a turn over the caller’s spend limit with 402 insufficient_quota, writing nothing', async () => {
    // Worst case 1,000 output tokens at $1,000 per million: $1, over a $0.50 limit.
    const priced = await createMockModel(stack.client, 'facade-priced', {
      input_price_per_mtok: 1,
      output_price_per_mtok: 1000,
      max_output_tokens: 1000,
    });
    const limited = await stack.memberClient();
    const me = (await limited.getMe({})).body.user;
    await stack.client.updateUser({
      params: { id: me.id },
      body: { spend_limit: { amount_micros: 500_000, period: 'month' } },
    });
    const capped = new OpenAI({ baseURL: `${stack.baseUrl}/openai/v1`, apiKey: limited.token, maxRetries: 0 });
    const completion = await capped.chat.completions
      .create({ model: priced, messages: [{ role: 'user', content: 'expensive' }] })
      .catch((e: unknown) => e);
    expect(completion).toMatchObject({ status: 402, code: 'insufficient_quota' });
    const response = await capped.responses.create({ model: priced, input: 'expensive' }).catch((e: unknown) => e);
    expect(response).toMatchObject({ status: 402, code: 'insufficient_quota' });
    const [chats] = await stack.sql`select count(*)::int as n from chats where owner_id = ${me.id}`;
    expect(chats!.n).toBe(0);
  });

  it('answers a bad token with 401 in OpenAI’s shape', async () => {
    const stranger = new OpenAI({ baseURL: `${stack.baseUrl}/openai/v1`, apiKey: 'cq_not_a_token', maxRetries: 0 });
    const err = await stranger.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ status: 401, type: 'authentication_error', code: 'invalid_api_key' });
  });

  it('keeps chatq’s own error shape outside the prefix', async () => {
    const res = await fetch(`${stack.baseUrl}/api/v1/chats/not-a-uuid`, {
      headers: { authorization: `Bearer ${member.token}` },
    });
    expect(await res.json()).toMatchObject({ message: 'Invalid request.' });
  });
});
