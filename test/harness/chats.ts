import type { ApiClient } from './http.ts';
import { eventually } from './eventually.ts';

/** Waits until the chat has no live or queued work left (idle, or error) and returns it. */
export async function settledChat(client: ApiClient, chatId: string, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const res = await client.get(`/api/v1/chats/${chatId}`);
      return ['idle', 'error'].includes(res.body.chat.status) ? res.body.chat : undefined;
    },
    { timeoutMs, what: `chat ${chatId} to settle` },
  );
}
