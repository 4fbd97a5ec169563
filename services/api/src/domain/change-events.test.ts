import type { Chat, Message, Turn } from '@chatq/contracts';
import { describe, expect, it } from 'vitest';
import type { ChangeOk } from '../db/chats.repository.ts';
import { noticeOf } from './change-events.ts';

const at = '2026-01-01T00:00:00.000Z';
const chat = (status: Chat['status']): Chat => ({
  id: 'c',
  title: 't',
  status,
  last_model_config_id: 'm',
  last_error: null,
  archived: false,
  created_at: at,
  updated_at: at,
});
const message: Message = { id: 'u', chat_id: 'c', role: 'user', content: 'hi', model_config_id: 'm', created_at: at };
const turn: Turn = { id: 'new', chat_id: 'c', generation: 4, status: 'queued', model_config_id: 'm', created_at: at };

const cases: { name: string; change: ChangeOk; types: string[]; minGeneration?: number; abort?: unknown }[] = [
  {
    name: 'a chat created empty',
    change: { chat: chat('idle') },
    types: ['chat.status'],
  },
  {
    name: 'a send to an idle chat',
    change: { chat: chat('pending'), message, turn },
    types: ['message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
  },
  {
    name: 'an edit superseding a running turn',
    change: { chat: chat('pending'), message, turn, supersededTurnId: 'old' },
    types: ['turn.status', 'message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'superseded' },
  },
  {
    name: 'a send that interrupts',
    change: { chat: chat('pending'), message, turn, cancelled: { turn_id: 'old', generation: 3 } },
    types: ['message.completed', 'turn.status', 'message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'interrupted' },
  },
  {
    name: 'an interrupt with nothing queued',
    change: { chat: chat('idle'), cancelled: { turn_id: 'old', generation: 3 } },
    types: ['message.completed', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'interrupted' },
  },
  {
    name: 'an interrupt that starts the next queued message',
    change: { chat: chat('pending'), cancelled: { turn_id: 'old', generation: 3 }, next: { message, turn } },
    types: ['message.completed', 'turn.status', 'message.created', 'turn.status', 'chat.status'],
    minGeneration: 4,
    abort: { turn_id: 'old', reason: 'interrupted' },
  },
];

describe('noticeOf', () => {
  it.each(cases)('$name', ({ change, types, minGeneration, abort }) => {
    const notice = noticeOf(change);
    expect(notice.events.map((e) => e.type)).toEqual(types);
    expect(notice.minGeneration).toBe(minGeneration);
    expect(notice.abort).toEqual(abort);
    expect(notice.started?.turn.id).toBe(change.turn || change.next ? 'new' : undefined);
  });
});
