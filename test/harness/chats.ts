import type { ChatqClient } from '@chatq/client';
import type { Turn } from '@chatq/contracts';
import { eventually } from './eventually.ts';

/** Waits until the chat has no live or queued work left (idle, or error) and returns it. */
export async function settledChat(client: ChatqClient, chatId: string, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const { body } = await client.getChat({ params: { chat_id: chatId } });
      return ['idle', 'error'].includes(body.chat.status) ? body.chat : undefined;
    },
    { timeoutMs, what: `chat ${chatId} to settle` },
  );
}

/** Waits until the turn's status is one of `statuses`, and returns the turn. */
export function turnReaches(
  client: ChatqClient,
  chatId: string,
  turnId: string,
  statuses: Turn['status'][],
  timeoutMs = 15_000,
): Promise<Turn> {
  return eventually(
    async () => {
      const { body } = await client.getTurn({ params: { chat_id: chatId, turn_id: turnId } });
      return statuses.includes(body.turn.status) ? body.turn : undefined;
    },
    { timeoutMs, what: `turn ${turnId} to be ${statuses.join(' or ')}` },
  );
}

/** Creates a chat that starts with `content` (on `model`, or the default) and returns it with its first turn. */
export async function startChat(client: ChatqClient, content: string, model?: string) {
  const { body } = await client.createChat({ body: { content, model_config_id: model } });
  if (!body.message || !body.turn) throw new Error('a chat created with content has a message and a turn');
  return { chat: body.chat, message: body.message, turn: body.turn };
}

/** The chat's assistant replies, oldest first. */
export async function assistantReplies(client: ChatqClient, chatId: string) {
  const { body } = await client.listMessages({ params: { chat_id: chatId }, query: { limit: 100 } });
  return body.data.filter((m) => m.role === 'assistant');
}
