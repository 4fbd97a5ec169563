import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../domain/errors.ts';

/** Deeper JSON than any contract needs; bounds recursion here and in Postgres (jsonb). */
const MAX_DEPTH = 32;

/** Why a parsed body cannot be stored, or undefined when it can. */
export function unstorable(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') {
    if (value.includes('\0')) return 'must not contain NUL characters';
    // JSON may escape half a surrogate pair ("\ud800"); no UTF-8 text (Postgres's) can hold one.
    if (!value.isWellFormed()) return 'must not contain unpaired surrogates';
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_DEPTH) return `must not nest deeper than ${MAX_DEPTH} levels`;
  for (const [key, item] of Object.entries(value)) {
    const problem = unstorable(key, depth + 1) ?? unstorable(item, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * JSON bodies as fastify parses them (prototype-poisoning protection included), refusing with a 400
 * what Postgres would refuse with an error (a NUL or an unpaired surrogate in text or jsonb, jsonb
 * nested past its stack).
 * A route that takes no body (no body schema, e.g. `POST .../interrupt`) accepts an empty one even
 * when clients label it `application/json`, as many do on every request; a route that takes a body
 * still refuses an empty one.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && !request.routeOptions.schema?.body) return done(null, undefined);
    parse(request, body as string, (err, value) => {
      if (err) return done(err, undefined);
      const problem = unstorable(value);
      if (problem)
        return done(new BadRequestError('Invalid request.', undefined, [{ field: 'body', detail: problem }]));
      return done(null, value);
    });
  });
}

/**
 * Path parameters and query strings reach SQL as text too (an OpenAI model name, a search): the
 * same rule as bodies, checked before the route's schema so a NUL is a 400, never a database error.
 */
export function registerStorableParams(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const inputs = [
      ['params', request.params],
      ['querystring', request.query],
    ] as const;
    for (const [field, value] of inputs) {
      const problem = unstorable(value);
      if (problem) throw new BadRequestError('Invalid request.', undefined, [{ field, detail: problem }]);
    }
  });
}
