import { routes } from '@chatq/contracts';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ChatqClient, type ChatqResponse, type StreamEvent } from './index.ts';

const client = new ChatqClient({ baseUrl: 'http://127.0.0.1:1' });

describe('a client derived from the route table', () => {
  it('has a method for every operation of the table, and nothing hand-listed', () => {
    const methods = Object.keys(client).filter((k) => typeof client[k as keyof typeof client] === 'function');
    expect(methods.sort()).toEqual(Object.keys(routes).sort());
  });

  it('refuses a request without a path parameter before sending anything', async () => {
    // @ts-expect-error chat_id is required
    await expect(client.getChat({ params: {} })).rejects.toThrow('getChat: params.chat_id is required');
  });

  // Type-level: `npm run typecheck` checks these; the closure never runs.
  it('types requests and narrows answers by status', () => {
    void (async () => {
      const sent = await client.sendMessage({
        params: { chat_id: 'c' },
        body: { content: 'hi' },
        headers: { 'idempotency-key': 'k' },
      });
      expectTypeOf(sent.status).toEqualTypeOf<201 | 202>();
      if (sent.status === 201) expectTypeOf(sent.body.turn.id).toBeString();
      else expectTypeOf(sent.body.queued_message.id).toBeString();
      // @ts-expect-error a body that is not narrowed may be either
      void sent.body.turn;

      expectTypeOf<ChatqResponse<'getReadiness'>['status']>().toEqualTypeOf<200 | 503>();
      expectTypeOf<ChatqResponse<'deleteChat'>['body']>().toBeNull();
      expectTypeOf<StreamEvent<'watchChats'>['type']>().toEqualTypeOf<'chat.status'>();
      expectTypeOf(client.streamChatEvents).returns.toEqualTypeOf<
        AsyncGenerator<StreamEvent<'streamChatEvents'>, void, undefined>
      >();
      await client.listChats({ query: { limit: 5, archived: true } });
      await client.getHealth();

      // @ts-expect-error the body is required
      await client.sendMessage({ params: { chat_id: 'c' } });
      // @ts-expect-error GET takes no Idempotency-Key
      await client.getChat({ params: { chat_id: 'c' }, headers: { 'idempotency-key': 'k' } });
      // @ts-expect-error limit is a number
      await client.listChats({ query: { limit: {} } });
      // @ts-expect-error streams are not pages
      client.paginate('streamChatEvents');
    });
  });
});
