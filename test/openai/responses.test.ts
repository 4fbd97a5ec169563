import type { ChatqClient } from '@chatq/client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockModel, mockModel } from '../harness/models.ts';
import { refusal } from '../harness/refusal.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let member: ChatqClient;
let openai: OpenAI;
let modelId: string;

beforeAll(async () => {
  stack = await startStack();
  modelId = await createMockModel(stack.client, 'facade-responses');
  member = await stack.memberClient();
  openai = new OpenAI({ baseURL: `${stack.baseUrl}/openai/v1`, apiKey: member.token, maxRetries: 0 });
});
afterAll(async () => {
  await stack.close();
});

/** The chat a response's turn belongs to, as the native API shows it. */
async function chatOf(responseId: string) {
  const turnId = responseId.replace(/^resp_(\w{8})(\w{4})(\w{4})(\w{4})(\w{12})$/, '$1-$2-$3-$4-$5');
  const [row] = await stack.sql<{ chat_id: string }[]>`select chat_id from turns where id = ${turnId}`;
  return row!.chat_id;
}

describe('responses through the OpenAI SDK', () => {
  it('answers a completed response with instructions as the chat’s system prompt', async () => {
    const response = await openai.responses.create({
      model: modelId,
      instructions: 'Answer in haiku.',
      input: 'plan a weekend',
    });
    expect(response).toMatchObject({ object: 'response', status: 'completed', instructions: 'Answer in haiku.' });
    expect(response.output_text).toContain('You said: "plan a weekend"');
    expect(response.output_text).toContain('System: "Answer in haiku."');
    expect(response.usage!.output_tokens).toBeGreaterThan(0);
    // A response is a turn of a chat the native API shows.
    const chat = await member.getChat({ params: { chat_id: await chatOf(response.id) } });
    expect(chat.body.chat).toMatchObject({ system_prompt: 'Answer in haiku.', status: 'idle' });
    expect((await openai.responses.retrieve(response.id)).output_text).toBe(response.output_text);
  });

  it('chains responses with previous_response_id in one chat', async () => {
    const first = await openai.responses.create({ model: modelId, input: 'first question' });
    const second = await openai.responses.create({
      model: modelId,
      input: 'second question',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text).toContain('You said: "second question"');
    const chatId = await chatOf(first.id);
    expect(await chatOf(second.id)).toBe(chatId);
    const messages = await member.listMessages({ params: { chat_id: chatId }, query: {} });
    expect(messages.body.data.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first question'],
      ['assistant', expect.stringContaining('You said: "first question"')],
      ['user', 'second question'],
      ['assistant', expect.stringContaining('You said: "second question"')],
    ]);
    const items = await openai.responses.inputItems.list(second.id, { order: 'asc' });
    expect(items.data.map((i) => (i.type === 'message' ? i.role : i.type))).toEqual(['user', 'assistant', 'user']);
  });

  it('branches like an edit when continuing from an earlier response', async () => {
    const first = await openai.responses.create({ model: modelId, input: 'one' });
    await openai.responses.create({ model: modelId, input: 'two', previous_response_id: first.id });
    const branch = await openai.responses.create({
      model: modelId,
      input: 'two, again',
      previous_response_id: first.id,
    });
    const messages = await member.listMessages({ params: { chat_id: await chatOf(branch.id) }, query: {} });
    // The later turn left the conversation: the branch replaced the message that followed `first`.
    expect(messages.body.data.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['one', 'two, again']);
  });

  it('streams the Responses event stream', async () => {
    const stream = await openai.responses.create({ model: modelId, input: 'stream me', stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toBe('response.completed');
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toContain('You said: "stream me"');
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.output_text ?? text).toContain('You said: "stream me"');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('answers a background response queued, polls it, and cancels it', async () => {
    const slow = await mockModel(stack.client, 20_000);
    const queued = await openai.responses.create({ model: slow, input: 'take your time', background: true });
    expect(queued).toMatchObject({ status: 'queued', background: true });
    const running = await eventually(
      async () => {
        const polled = await openai.responses.retrieve(queued.id);
        return polled.status === 'queued' ? undefined : polled;
      },
      { what: 'the worker to take the background response' },
    );
    expect(running).toMatchObject({ id: queued.id, status: 'in_progress' });
    const cancelled = await openai.responses.cancel(queued.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await openai.responses.retrieve(queued.id)).status).toBe('cancelled');
    const chat = await member.getChat({ params: { chat_id: await chatOf(queued.id) } });
    expect(chat.body.chat.status).toBe('idle');
  });

  it('deletes the chat of a store: false response once it completes', async () => {
    const response = await openai.responses.create({ model: modelId, input: 'forget me', store: false });
    expect(response).toMatchObject({ status: 'completed', store: false });
    expect(response.output_text).toContain('You said: "forget me"');
    const err = await openai.responses.retrieve(response.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const [left] = await stack.sql`select count(*)::int as n from chats c join users u on u.id = c.owner_id
                                   where u.username = ${(await member.getMe()).body.user.username}
                                     and c.title = 'forget me'`;
    expect(left!.n).toBe(0);
  });

  it('runs a function call round trip with function_call_output', async () => {
    const toolModel = await createMockModel(stack.client, 'facade-responses-tools', {
      options: { tool_calls: [{ name: 'get_weather', input: { city: 'Porto' } }] },
    });
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
        strict: false,
      },
    ];
    const asked = await openai.responses.create({ model: toolModel, input: 'weather in Porto?', tools });
    const call = asked.output.find((o) => o.type === 'function_call')!;
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Porto"}' });
    expect(asked.tools).toMatchObject([{ type: 'function', name: 'get_weather' }]);
    const answered = await openai.responses.create({
      model: toolModel,
      previous_response_id: asked.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools,
    });
    expect(answered.status).toBe('completed');
    expect(answered.output_text).toContain('get_weather returned "sunny"');
  });

  it('answers unknown responses and unsupported parameters in OpenAI’s shape', async () => {
    const missing = await openai.responses.retrieve(`resp_${'0'.repeat(32)}`).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, type: 'invalid_request_error' });
    const unsupported = await openai.responses
      .create({ model: modelId, input: 'hi', reasoning: { effort: 'low' } })
      .catch((e: unknown) => e);
    expect(unsupported).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'reasoning' });
    const stranger = new OpenAI({
      baseURL: `${stack.baseUrl}/openai/v1`,
      apiKey: (await stack.memberClient()).token,
      maxRetries: 0,
    });
    const mine = await openai.responses.create({ model: modelId, input: 'mine' });
    expect(await stranger.responses.retrieve(mine.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('conversations through the OpenAI SDK', () => {
  it('are chats, visible in both APIs, that responses append to', async () => {
    const conversation = await openai.conversations.create({});
    expect(conversation.id).toMatch(/^conv_[0-9a-f]{32}$/);
    const first = await openai.responses.create({ model: modelId, conversation: conversation.id, input: 'hello' });
    await openai.responses.create({ model: modelId, conversation: conversation.id, input: 'again' });
    expect(await chatOf(first.id)).toBe(
      conversation.id.replace(/^conv_(\w{8})(\w{4})(\w{4})(\w{4})(\w{12})$/, '$1-$2-$3-$4-$5'),
    );
    const items = await openai.conversations.items.list(conversation.id, { order: 'asc' });
    expect(items.data.map((i) => (i.type === 'message' ? `${i.role}` : i.type))).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    const chats = await member.listChats({ query: {} });
    const chatId = await chatOf(first.id);
    expect(chats.body.data.map((c) => c.id)).toContain(chatId);
    expect((await openai.conversations.retrieve(conversation.id)).id).toBe(conversation.id);
    await openai.conversations.delete(conversation.id);
    expect((await refusal(member.getChat({ params: { chat_id: chatId } }))).status).toBe(404);
    const gone = await openai.conversations.retrieve(conversation.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
