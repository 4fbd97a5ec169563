import { ChangeRefusal } from '@chatq/chat-core';
import { z } from 'zod';
import { InternalError } from '../domain/errors.ts';

/** A change the chatq_* function refused; `refusal` is one of CHANGE_REFUSALS. */
export interface Refused {
  kind: 'refused';
  refusal: ChangeRefusal;
}

/** Zod's issues as field paths and messages (which name expectations, never the values met). */
function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const at = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      if (issue.code === 'invalid_union') {
        return `${at}: no shape matched (${issue.errors.map((branch, i) => `#${i + 1} ${describe(branch)}`).join(' | ')})`;
      }
      return `${at}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses what `fn` returned with `schema`; anything else means this build and its database disagree. */
export function parseResult<T>(fn: string, schema: z.ZodType<T>, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InternalError(fn, `unexpected result: ${describe(parsed.error.issues)}`);
  return parsed.data;
}

/**
 * Parses what a chatq_* change function returned: `{"error": code}` with a code of CHANGE_REFUSALS,
 * or a result `schema` accepts. An unknown code is an InternalError like any other surprise: the
 * caller would otherwise get an answer nobody wrote.
 */
export function parseChange<T>(fn: string, schema: z.ZodType<T>, json: unknown): T | Refused {
  if (typeof json === 'object' && json !== null && 'error' in json) {
    const code = ChangeRefusal.safeParse(json.error);
    if (!code.success) {
      const shown = typeof json.error === 'string' ? `'${json.error.slice(0, 64)}'` : 'not a string';
      throw new InternalError(fn, `unknown refusal code ${shown}`);
    }
    return { kind: 'refused', refusal: code.data };
  }
  return parseResult(fn, schema, json);
}
