import type { ModelCaller } from './types.ts';

/** A reply that grew past MAX_REPLY_CHARS; the call was stopped. Never worth a retry. */
export class ReplyTooLongError extends Error {
  override name = 'ReplyTooLongError';

  constructor(maxChars: number) {
    super(`reply exceeded ${maxChars} characters`);
  }
}

/**
 * Bounds every reply `caller` produces to `maxChars`: the delta that would cross it is dropped and
 * the call aborted, so neither the worker's memory nor the chat's event log grows with whatever a
 * provider keeps sending. The call then fails with ReplyTooLongError.
 */
export function limitReply(caller: ModelCaller, maxChars: number): ModelCaller {
  return async (call) => {
    const limit = new AbortController();
    let chars = 0;
    const bounded = {
      ...call,
      signal: AbortSignal.any([call.signal, limit.signal]),
      onDelta: (text: string) => {
        if (limit.signal.aborted) return;
        chars += text.length;
        if (chars > maxChars) limit.abort(new ReplyTooLongError(maxChars));
        else call.onDelta?.(text);
      },
    };
    try {
      const reply = await caller(bounded);
      // The delta that crossed the bound may have been the last one: the reply is still too long.
      limit.signal.throwIfAborted();
      return reply;
    } catch (err) {
      if (limit.signal.aborted) throw limit.signal.reason;
      throw err;
    }
  };
}
