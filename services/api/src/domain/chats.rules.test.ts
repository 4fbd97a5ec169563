import { describe, expect, it } from 'vitest';
import { defaultTitle, refusalError } from './chats.service.ts';

describe('refusalError', () => {
  it.each([
    ['chat_not_found', 404, 'Chat not found.'],
    ['invalid_model', 400, 'Invalid model config ID.'],
    ['no_default_model', 400, 'No default model config is set; pass model_config_id.'],
    ['message_not_found', 404, 'Chat message not found.'],
    ['not_user_message', 400, 'Only user messages can be edited.'],
    ['chat_archived', 400, 'Cannot modify an archived chat.'],
    ['queue_full', 429, 'Message queue is full.'],
    ['not_interruptible', 409, 'Chat is not in an interruptible state.'],
    ['queued_message_not_found', 404, 'Queued message not found.'],
  ] as const)('%s -> %i %s', (refusal, status, message) => {
    const err = refusalError(refusal);
    expect(err.status).toBe(status);
    expect(err.message).toBe(message);
  });
});

describe('defaultTitle', () => {
  it.each([
    [undefined, 'New chat'],
    ['  Hello  world \nsecond line', 'Hello world'],
    ['x'.repeat(80), `${'x'.repeat(59)}…`],
  ])('%j -> %j', (content, title) => {
    expect(defaultTitle(content)).toBe(title);
  });
});
