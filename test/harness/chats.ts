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

/** Waits until the turn's status is one of `statuses`, and returns the turn. */
export function turnReaches(
  client: ApiClient,
  chatId: string,
  turnId: string,
  statuses: string[],
  timeoutMs = 15_000,
): Promise<any> {
  return eventually(
    async () => {
      const res = await client.get(`/api/v1/chats/${chatId}/turns/${turnId}`);
      return statuses.includes(res.body?.turn?.status) ? res.body.turn : undefined;
    },
    { timeoutMs, what: `turn ${turnId} to be ${statuses.join(' or ')}` },
  );
}
