import type { Chat, Message, Turn } from '@chatq/contracts';
import { describe, expect, it } from 'vitest';
import { afterTurnEvents, turnCancelledEvents, turnQueuedEvents } from './event-builders.ts';

const chat: Chat = {
  id: 'c',
  title: 't',
  status: 'pending',
  last_model_config_id: 'm',
  last_error: null,
  archived: false,
  system_prompt: null,
  tool_ids: [],
  client_tools: [],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};
const message: Message = {
  id: 'u',
  chat_id: 'c',
  role: 'user',
  content: 'hi',
  model_config_id: 'm',
  created_at: chat.created_at,
};
const turn: Turn = {
  id: 't2',
  chat_id: 'c',
  generation: 2,
  status: 'queued',
  model_config_id: 'm',
  steps: 0,
  created_at: chat.created_at,
};
const partial: Message = { ...message, id: 'p', role: 'assistant', content: 'half', interrupted: true };

const types = (events: { type: string }[]) => events.map((e) => e.type);

describe('chat event builders', () => {
  it.each([
    {
      name: 'a started turn',
      events: turnQueuedEvents({ message, turn }),
      expected: ['message.created', 'turn.status'],
    },
    {
      name: 'a cancelled turn with a partial reply',
      events: turnCancelledEvents('c', { turn_id: 't1', message: partial }),
      expected: ['message.created', 'message.completed', 'turn.status'],
    },
    {
      name: 'a cancelled turn without one',
      events: turnCancelledEvents('c', { turn_id: 't1' }),
      expected: ['message.completed', 'turn.status'],
    },
    { name: 'a chat at rest', events: afterTurnEvents({ chat }), expected: ['chat.status'] },
    {
      name: 'a chat moving to its next queued message',
      events: afterTurnEvents({ chat, next: { message, turn } }),
      expected: ['message.created', 'turn.status', 'chat.status'],
    },
  ])('$name', ({ events, expected }) => {
    expect(types(events)).toEqual(expected);
  });

  it('marks the end of an interrupted reply with the kept message', () => {
    expect(turnCancelledEvents('c', { turn_id: 't1', message: partial })[1]).toEqual({
      type: 'message.completed',
      data: { turn_id: 't1', message_id: 'p', interrupted: true },
    });
    expect(turnCancelledEvents('c', { turn_id: 't1' })[1]).toEqual({
      type: 'turn.status',
      data: { chat_id: 'c', turn_id: 't1', status: 'cancelled' },
    });
  });
});
