import type { Chat, Message, QueuedMessage, Turn } from '@chatq/contracts';
import { describe, expect, it } from 'vitest';
import type { Change } from '../db/chats.results.ts';
import { noticeOf } from './change-events.ts';

const at = '2026-01-01T00:00:00.000Z';
const chat = (status: Chat['status']): Chat => ({
  id: 'c',
  title: 't',
  status,
  last_model_config_id: 'm',
  last_error: null,
  archived: false,
  system_prompt: null,
  tool_ids: [],
  client_tools: [],
  created_at: at,
  updated_at: at,
});
const message: Message = { id: 'u', chat_id: 'c', role: 'user', content: 'hi', model_config_id: 'm', created_at: at };
const turn: Turn = {
  id: 'new',
  chat_id: 'c',
  generation: 4,
  status: 'queued',
  model_config_id: 'm',
  steps: 0,
  created_at: at,
};
const queued: QueuedMessage = { id: 'q', chat_id: 'c', content: 'later', model_config_id: 'm', created_at: at };

const cases: { name: string; change: Change; types: string[]; minGeneration?: number; abort?: unknown }[] = [
  {
    name: 'a chat created empty',
    change: { kind: 'created', chat: chat('idle') },
    types: ['chat.status'],
  },
  {
    name: 'a send to an idle chat',
    change: { kind: 'started', chat: chat('pending'), message, turn },
    types: ['message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
  },
  {
    name: 'a send queued behind the live turn',
    change: { kind: 'queued', chat: chat('running'), queued_message: queued },
    types: ['message.queued'],
  },
  {
    name: 'an edit superseding a running turn',
    change: { kind: 'started', chat: chat('pending'), message, turn, superseded_turn_id: 'old' },
    types: ['turn.status', 'message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'superseded' },
  },
  {
    name: 'a send that interrupts',
    change: { kind: 'started', chat: chat('pending'), message, turn, cancelled: { turn_id: 'old', generation: 3 } },
    types: ['message.completed', 'turn.status', 'message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'interrupted' },
  },
  {
    name: 'an interrupt with nothing queued',
    change: { kind: 'interrupted', chat: chat('idle'), cancelled: { turn_id: 'old', generation: 3 } },
    types: ['message.completed', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'interrupted' },
  },
  {
    name: 'an interrupt that starts the next queued message',
    change: {
      kind: 'interrupted',
      chat: chat('pending'),
      cancelled: { turn_id: 'old', generation: 3 },
      next: { message, turn },
    },
    types: ['message.completed', 'turn.status', 'message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'interrupted' },
  },
  {
    name: 'a queued message taken off the queue',
    change: { kind: 'unqueued', chat_id: 'c', queued_message_id: 'q' },
    types: ['message.unqueued'],
  },
  {
    name: 'a chat deleted while a turn ran',
    change: { kind: 'deleted', chat_id: 'c', live_turn_id: 'old' },
    types: [],
    abort: { turn_id: 'old', reason: 'superseded' },
  },
  {
    name: 'an idle chat deleted',
    change: { kind: 'deleted', chat_id: 'c' },
    types: [],
  },
];

describe('noticeOf', () => {
  it.each(cases)('$name', ({ change, types, minGeneration, abort }) => {
    const notice = noticeOf(change);
    expect(notice.chatId).toBe('c');
    expect(notice.events.map((e) => e.type)).toEqual(types);
    expect(notice.minGeneration).toBe(minGeneration);
    expect(notice.abort).toEqual(abort);
    const starts = change.kind === 'started' || (change.kind === 'interrupted' && change.next);
    expect(notice.started?.turn.id).toBe(starts ? 'new' : undefined);
  });
});
