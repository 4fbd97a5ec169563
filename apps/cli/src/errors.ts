/** The exit codes `chatq` documents: done, the API or the turn failed, the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line that cannot run as given (exit 2): a missing token, a date that is not one. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The API answered, but not as the command hoped: the turn failed, the model is unknown (exit 1). */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}
