import { MAX_TOOL_OUTPUT_CHARS } from '@chatq/contracts';

/** A tool's result as the loop stores it and the model reads it. */
export interface ToolOutcome {
  output: unknown;
  is_error: boolean;
}

/** An error result: the model reads `message` as the call's output. */
export const toolError = (message: string): ToolOutcome => ({ output: message, is_error: true });

/**
 * `outcome` within MAX_TOOL_OUTPUT_CHARS of JSON, else an error result that says how large it was:
 * the one place the bound is applied to what a worker stores.
 */
export function bounded(outcome: ToolOutcome): ToolOutcome {
  const chars = JSON.stringify(outcome.output ?? null).length;
  if (chars <= MAX_TOOL_OUTPUT_CHARS) return outcome;
  return toolError(`tool output was ${chars} characters of JSON, over the limit of ${MAX_TOOL_OUTPUT_CHARS}; dropped`);
}
