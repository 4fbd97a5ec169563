import type { ChatqClient } from '@chatq/client';
import type { ModelCaller } from '@chatq/worker/llm/types.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settledChat } from '../harness/chats.ts';
import { SseClient } from '../harness/sse.ts';
import { eventually, startStack, type TestStack } from '../harness/stack.ts';

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
let member: ChatqClient;
const opened: SseClient[] = [];

async function chatWithEvents() {
  const { chat } = (await member.createChat({ body: {} })).body;
  const events = await SseClient.open(`${stack.baseUrl}/api/v1/chats/${chat.id}/events`, member.token);
  opened.push(events);
  return { chatId: chat.id, events };
}

async function hangingCall(content: string) {
  return eventually(async () => hanging.get(content), { what: `the model call for "${content}"` });
}

async function settled(chatId: string) {
  await settledChat(member, chatId);
  return (await member.listMessages({ params: { chat_id: chatId } })).body.data;
}

/** Sends `content` to the chat, which the test expects to start a turn at once (201). */
async function start(chatId: string, content: string) {
  const sent = await member.sendMessage({ params: { chat_id: chatId }, body: { content } });
  if (sent.status !== 201) throw new Error(`expected "${content}" to start a turn (201), got ${sent.status}`);
  return sent.body;
}

beforeAll(async () => {
  stack = await startStack({ callModel: scripted, env: { RELAY_AFTER_MS: '600000' } });
  member = await stack.memberClient();
});

afterEach(() => {
  opened.splice(0).forEach((c) => c.close());
});

afterAll(() => stack?.close());

describe('stopping a provider call', () => {
  it('aborts its signal when the message it answers is edited', async () => {
    const { chatId } = await chatWithEvents();
    const sent = await start(chatId, 'hang on edit');
    const call = await hangingCall('hang on edit');
    await member.editMessage({
      params: { chat_id: chatId, message_id: sent.message.id },
      body: { content: 'edited' },
    });
    await eventually(async () => (call.aborted ? true : undefined), { what: 'the signal to abort' });
    expect((await settled(chatId)).map((m) => m.content)).toEqual(['edited', 'ok']);
  });

  it('aborts its signal on interrupt and keeps what was streamed', async () => {
    const { chatId, events } = await chatWithEvents();
    await start(chatId, 'hang on interrupt');
    const call = await hangingCall('hang on interrupt');
    await events.until((all) => all.some((e) => e.event === 'message.delta'), 'the partial text');
    await member.interruptChat({ params: { chat_id: chatId } });
    await eventually(async () => (call.aborted ? true : undefined), { what: 'the signal to abort' });
    const messages = await settled(chatId);
    expect(messages.map((m) => [m.role, m.content, m.interrupted ?? false])).toEqual([
      ['user', 'hang on interrupt', false],
      ['assistant', 'partial ', true],
    ]);
  });
});

describe('a failing turn', () => {
  it('streams the error, fails the turn and lets the queue move on', async () => {
    const { chatId, events } = await chatWithEvents();
    const failing = await start(chatId, 'fail please');
    // The failing turn is still live (its call waits for the cue): the next send queues behind it.
    const queued = await member.sendMessage({ params: { chat_id: chatId }, body: { content: 'then this' } });
    failCue('fail please').resolve();
    expect(queued.status).toBe(202);

    const messages = await settled(chatId);
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'fail please'],
      ['user', 'then this'],
      ['assistant', 'ok'],
    ]);
    await events.until((all) => all.at(-1)?.data.status === 'idle', 'the chat to rest');
    const turnId = failing.turn.id;
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
