import { describe, expect, it } from 'vitest';
import { fitToContext } from './context.ts';
import type { ChatTurnMessage } from './types.ts';

const u = (content: string): ChatTurnMessage => ({ role: 'user', content });
const a = (content: string): ChatTurnMessage => ({ role: 'assistant', content });
/** 40 characters: 10 tokens of text plus 4 of framing, 14 in all. */
const t40 = 'x'.repeat(40);

const history = [
  u(`1${t40.slice(1)}`),
  a(`2${t40.slice(1)}`),
  u(`3${t40.slice(1)}`),
  a(`4${t40.slice(1)}`),
  u(`5${t40.slice(1)}`),
];
const firsts = (messages: ChatTurnMessage[]) => messages.map((m) => m.content[0]).join('');

describe('fitToContext', () => {
  it.each([
    ['no limit keeps everything', history, null, null, '12345'],
    ['a roomy limit keeps everything', history, 1_000, null, '12345'],
    ['exactly enough keeps everything', history, 70, null, '12345'],
    ['one short drops the oldest, and the assistant reply it leaves first', history, 69, null, '345'],
    ['room for the newest user message only', history, 14, null, '5'],
    ['the newest user message stays even alone over budget', history, 1, null, '5'],
    ['max_output_tokens is kept free for the reply', history, 70, 28, '345'],
    ['the reply room can use the whole limit', history, 50, 50, '5'],
    ['a single message is left alone', [u(t40)], 1, null, 'x'],
    ['history without a user message is left alone', [a(t40), a(t40)], 1, null, 'xx'],
  ])('%s', (_name, messages, limit, maxOut, expected) => {
    expect(firsts(fitToContext(messages, limit, maxOut))).toBe(expected);
  });

  it('keeps messages in their order and never returns a new array when nothing is dropped', () => {
    expect(fitToContext(history, 1_000, 10)).toBe(history);
    expect(fitToContext(history, 42, null)).toEqual(history.slice(2));
  });
});
