/**
 * Whether `err` is Postgres refusing a write with SQLSTATE `code` (23505 unique, 23514 check), on
 * `constraint` when given: how a repository's caller tells "name taken" from a failure.
 */
export function violates(err: unknown, code: '23505' | '23514', constraint?: string): boolean {
  const e = err as { code?: unknown; constraint_name?: unknown };
  return e.code === code && (constraint === undefined || e.constraint_name === constraint);
}
