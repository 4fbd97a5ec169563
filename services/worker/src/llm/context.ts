import { approxTokens } from './tokens.ts';
import type { ChatTurnMessage } from './types.ts';

/** Per-message framing (role markers, separators) that providers add on top of the text. */
const MESSAGE_OVERHEAD_TOKENS = 4;

const cost = (m: ChatTurnMessage): number => approxTokens(m.content) + MESSAGE_OVERHEAD_TOKENS;

/**
 * The newest part of `history` that fits the model's context: `contextLimit` minus the room kept
 * for the reply. Messages go from the oldest; the newest user message (and anything after it) is
 * always kept, even alone over budget, so the provider reports the overflow rather than the model
 * answering an older question. The result starts with a user message, as Anthropic and Google
 * require.
 */
export function fitToContext(
  history: ChatTurnMessage[],
  contextLimit: number | null,
  maxOutputTokens: number | null,
): ChatTurnMessage[] {
  if (contextLimit == null) return history;
  const lastUser = history.findLastIndex((m) => m.role === 'user');
  if (lastUser <= 0) return history;

  let budget = contextLimit - (maxOutputTokens ?? 0);
  for (let i = lastUser; i < history.length; i++) budget -= cost(history[i]!);
  let start = lastUser;
  while (start > 0 && cost(history[start - 1]!) <= budget) {
    start--;
    budget -= cost(history[start]!);
  }
  while (history[start]!.role !== 'user') start++;
  return start === 0 ? history : history.slice(start);
}
