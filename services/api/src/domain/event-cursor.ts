import { compareEventIds } from '@chatq/chat-core';

/** How a client's event stream begins. */
export type StreamStart =
  /** Replay everything after `after`, then go live. */
  | { kind: 'resume'; after: string }
  /** Start at the end of the log; a chat stream first sends the live reply's text so far. */
  | { kind: 'fresh' };

/**
 * A cursor resumes exactly only if nothing after it may have been trimmed away, i.e. it is not older
 * than the oldest event kept (`trimmedBefore`, null while the log is whole). Otherwise, as with no
 * cursor, the client starts fresh (and should re-read the chat). `0` asks for whatever is kept.
 */
export function chooseStart(after: string | undefined, trimmedBefore: string | null): StreamStart {
  if (after === undefined) return { kind: 'fresh' };
  if (after !== '0' && trimmedBefore !== null && compareEventIds(after, trimmedBefore) < 0) return { kind: 'fresh' };
  return { kind: 'resume', after };
}
