import { ChatqClient, type StreamEvent } from '@chatq/client';
import { compareEventIds } from '@chatq/chat-core';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledChat } from '../harness/chats.ts';
import { mockModel } from '../harness/models.ts';
import { refusal } from '../harness/refusal.ts';
import { startStack, type TestStack } from '../harness/stack.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';

let stack: TestStack;
let alice: ChatqClient;
let slow: string;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.memberClient('alice');
  slow = await mockModel(stack.client, 3_000);
});
afterAll(() => stack.close());

describe('typed calls', () => {
  it('narrows sendMessage on status: 201 with the turn, or 202 queued behind a live one', async () => {
    const { body } = await alice.createChat({ body: { content: 'first', model_config_id: slow } });
    const sent = await alice.sendMessage({ params: { chat_id: body.chat.id }, body: { content: 'second' } });
    expect(sent.status).toBe(202);
    if (sent.status !== 202) return;
    expect(sent.body.queued_message).toMatchObject({ chat_id: body.chat.id, content: 'second' });

    const idle = await alice.createChat({ body: { title: 'idle' } });
    const now = await alice.sendMessage({ params: { chat_id: idle.body.chat.id }, body: { content: 'hi' } });
    expect(now.status).toBe(201);
    if (now.status !== 201) return;
    expect(now.body.turn).toMatchObject({ chat_id: idle.body.chat.id, status: 'queued' });
    expect(now.body.message.content).toBe('hi');
  });

  it('throws ChatqApiError with the status, error body and headers of a refusal', async () => {
    const missing = await refusal(alice.getChat({ params: { chat_id: randomUUID() } }));
    expect(missing).toMatchObject({ operationId: 'getChat', status: 404, body: { message: 'Chat not found.' } });
    expect(missing.headers.get('x-request-id')).toBeTruthy();

    const anonymous = await refusal(alice.as(undefined).getMe());
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="chatq"');

    const invalid = await refusal(alice.createChat({ body: { content: '   ' } }));
    expect(invalid.body.validations).toEqual([{ field: 'body.content', detail: 'must not be empty' }]);
  });

  it('sends the Idempotency-Key typed from the table, and shows the replay in the headers', async () => {
    const request = { body: { title: 'once' }, headers: { 'idempotency-key': randomUUID() } };
    const first = await alice.createChat(request);
    const again = await alice.createChat(request);
    expect(again.body).toEqual(first.body);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('returns a 204 body as null and pages a list to its end', async () => {
    const bob = await stack.memberClient();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await bob.createChat({ body: { title: `c${i}` } })).body.chat.id);
    const seen = [];
    for await (const chat of bob.paginate('listChats', { query: { limit: 2 } })) seen.push(chat.id);
    expect(seen).toEqual(made.reverse());
    const deleted = await bob.deleteChat({ params: { chat_id: made[0]! } });
    expect(deleted).toMatchObject({ status: 204, body: null });
  });
});

describe('event streams', () => {
  it('resumes a dropped stream with Last-Event-ID: every event once, in order, the reply whole', async () => {
    const proxy = await startTcpProxy(stack.baseUrl);
    try {
      const viaProxy = new ChatqClient({ baseUrl: proxy.url, token: alice.token });
      const { body } = await alice.createChat({ body: { content: 'tell me a story', model_config_id: slow } });
      const turnId = body.turn!.id;
      const events: StreamEvent<'streamChatEvents'>[] = [];
      let cut = false;
      for await (const event of viaProxy.streamChatEvents({
        params: { chat_id: body.chat.id },
        query: { after: '0' },
      })) {
        events.push(event);
        // Mid-reply: the rest of the reply is written while the client is away.
        if (event.type === 'message.delta' && !cut) {
          cut = true;
          proxy.cut();
        }
        if (event.type === 'message.completed' && event.data.turn_id === turnId) break;
      }
      expect(proxy.connections()).toBeGreaterThanOrEqual(2);

      const ids = events.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id, i) => i === 0 || compareEventIds(ids[i - 1]!, id) < 0)).toBe(true);

      const text = events.flatMap((e) =>
        e.type === 'message.delta' && e.data.turn_id === turnId ? [e.data.text] : [],
      );
      expect(text.length).toBeGreaterThan(1);
      const messages = await alice.listMessages({ params: { chat_id: body.chat.id } });
      const reply = messages.body.data.find((m) => m.role === 'assistant');
      expect(text.join('')).toBe(reply!.content);
      expect(events.at(-1)).toMatchObject({ data: { message_id: reply!.id, interrupted: false } });
    } finally {
      await proxy.close();
    }
  });

  it('ends quietly when its signal aborts, and throws a refusal it cannot retry', async () => {
    const controller = new AbortController();
    const { body } = await alice.createChat({ body: { content: 'watch me' } });
    const seen = [];
    // From the start of the owner's log: the turn may well be over before the stream connects.
    for await (const event of alice.watchChats({ query: { after: '0' } }, { signal: controller.signal })) {
      seen.push(event);
      if (event.data.chat_id === body.chat.id && event.data.status === 'idle') controller.abort();
    }
    expect(seen.length).toBeGreaterThan(0);
    await settledChat(alice, body.chat.id);

    const missing = alice.streamChatEvents({ params: { chat_id: randomUUID() } });
    expect((await refusal(missing.next())).status).toBe(404);
  });
});
