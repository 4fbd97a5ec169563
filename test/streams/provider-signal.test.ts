import type { ModelCaller } from '@chatq/worker/llm/types.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../harness/http.ts';
import { SseClient } from '../harness/sse.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';
import { settledChat } from '../harness/chats.ts';

/*
 * The worker with a scripted model in place of a provider: it sees exactly what a provider call
 * would (the AbortSignal, the history) and can fail on cue.
 */

/** Calls that are waiting for their signal, by the user message that started them. */
const hanging = new Map<string, { aborted: boolean }>();

/** Failing calls hold until the test lets them fail, by the user message that started them. */
const failCues = new Map<string, PromiseWithResolvers<void>>();
const failCue = (content: string) => {
  if (!failCues.has(content)) failCues.set(content, Promise.withResolvers<void>());
  return failCues.get(content)!;
};

const scripted: ModelCaller = async (call) => {
  const last = call.messages.at(-1)!.content;
  if (last.startsWith('fail')) {
    await failCue(last).promise;
    throw Object.assign(new Error('invalid key'), { statusCode: 401 });
  }
  if (last.startsWith('hang')) {
    const record = { aborted: false };
    hanging.set(last, record);
    call.onDelta?.('partial ');
    await new Promise((_, reject) => {
      call.signal.addEventListener('abort', () => {
        record.aborted = true;
        reject(call.signal.reason);
      });
    });
  }
  call.onDelta?.('ok');
  return { text: 'ok', usage: { input_tokens: 1, output_tokens: 1 } };
};

let stack: TestStack;
let member: ApiClient;
const opened: SseClient[] = [];

async function chatWithEvents() {
  const chat = await member.post('/api/v1/chats', {});
  const events = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chat.body.chat.id}/events`, member.token);
  opened.push(events);
  return { chatId: chat.body.chat.id as string, events };
}

async function hangingCall(content: string) {
  return eventually(async () => hanging.get(content), { what: `the model call for "${content}"` });
}

async function settled(chatId: string) {
  await settledChat(stack.client.as(member.token), chatId);
  return (await member.get(`/api/v1/chats/${chatId}/messages`)).body.data;
}

beforeAll(async () => {
  stack = await startStack({ callModel: scripted, env: { RELAY_AFTER_MS: '600000' } });
  member = await stack.member();
});

afterEach(() => {
  opened.splice(0).forEach((c) => c.close());
});

afterAll(() => stack?.close());

describe('stopping a provider call', () => {
  it('aborts its signal when the message it answers is edited', async () => {
    const { chatId } = await chatWithEvents();
    const sent = await member.post(`/api/v1/chats/${chatId}/messages`, { content: 'hang on edit' });
    const call = await hangingCall('hang on edit');
    await member.patch(`/api/v1/chats/${chatId}/messages/${sent.body.message.id}`, { content: 'edited' });
    await eventually(async () => (call.aborted ? true : undefined), { what: 'the signal to abort' });
    expect((await settled(chatId)).map((m: any) => m.content)).toEqual(['edited', 'ok']);
  });

  it('aborts its signal on interrupt and keeps what was streamed', async () => {
    const { chatId, events } = await chatWithEvents();
    await member.post(`/api/v1/chats/${chatId}/messages`, { content: 'hang on interrupt' });
    const call = await hangingCall('hang on interrupt');
    await events.until((all) => all.some((e) => e.event === 'message.delta'), 'the partial text');
    await member.post(`/api/v1/chats/${chatId}/interrupt`);
    await eventually(async () => (call.aborted ? true : undefined), { what: 'the signal to abort' });
    const messages = await settled(chatId);
    expect(messages.map((m: any) => [m.role, m.content, m.interrupted ?? false])).toEqual([
      ['user', 'hang on interrupt', false],
      ['assistant', 'partial ', true],
    ]);
  });
});

describe('a failing turn', () => {
  it('streams the error, fails the turn and lets the queue move on', async () => {
    const { chatId, events } = await chatWithEvents();
    const failing = await member.post(`/api/v1/chats/${chatId}/messages`, { content: 'fail please' });
    // The failing turn is still live (its call waits for the cue): the next send queues behind it.
    const queued = await member.post(`/api/v1/chats/${chatId}/messages`, { content: 'then this' });
    failCue('fail please').resolve();
    expect(queued.status).toBe(202);

    const messages = await settled(chatId);
    expect(messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', 'fail please'],
      ['user', 'then this'],
      ['assistant', 'ok'],
    ]);
    await events.until((all) => all.at(-1)?.data.status === 'idle', 'the chat to rest');
    const turnId = failing.body.turn.id;
    expect(events.of('turn.failed').map((e) => e.data)).toEqual([
      { chat_id: chatId, turn_id: turnId, message: 'provider rejected the API key (401)' },
    ]);
    expect(events.of('turn.status').find((e) => e.data.turn_id === turnId && e.data.status === 'failed')).toBeDefined();
    expect(events.of('chat.status').map((e) => e.data.status)).toEqual([
      'pending',
      'running',
      'pending',
      'running',
      'idle',
    ]);
  });
});
