import { compareEventIds } from '@chatq/platform';

/** How a client's event stream begins. */
export type StreamStart =
  /** Replay everything after `after`, then go live. */
  | { kind: 'resume'; after: string }
  /** Start at the end of the log; a chat stream first sends the live reply's text so far. */
  | { kind: 'fresh' };

/**
 * A cursor resumes exactly only if nothing after it was trimmed away; otherwise, as with no cursor,
 * the client starts fresh (and should re-read the chat). `0` asks for whatever is kept.
 */
export function chooseStart(after: string | undefined, maxDeletedId: string | null): StreamStart {
  if (after === undefined) return { kind: 'fresh' };
  if (after !== '0' && maxDeletedId !== null && compareEventIds(after, maxDeletedId) < 0) return { kind: 'fresh' };
  return { kind: 'resume', after };
}
