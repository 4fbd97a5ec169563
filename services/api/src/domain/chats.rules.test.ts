import { describe, expect, it } from 'vitest';
import { decodeCursor, defaultTitle, encodeCursor, refusalError } from './chats.service.ts';

describe('refusalError', () => {
  it.each([
    ['chat_not_found', 404, 'Chat not found.'],
    ['chat_busy', 409, 'Chat is busy.'],
    ['invalid_model', 400, 'Invalid model config ID.'],
    ['no_default_model', 400, 'No default model config is set; pass model_config_id.'],
    ['message_not_found', 404, 'Chat message not found.'],
    ['not_user_message', 400, 'Only user messages can be edited.'],
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

describe('cursors', () => {
  it('round-trip an id and reject anything else', () => {
    const id = '01a20fd7-c4d0-7f5b-9faa-a17898364d2f';
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    expect(() => decodeCursor('bm90IGEgY3Vyc29y')).toThrow('Invalid cursor.');
  });
});
