import type { Sql } from '@chatq/platform';
import { AsyncLocalStorage } from 'node:async_hooks';
import type postgres from 'postgres';

type TransactionSql = postgres.TransactionSql;

interface Scope {
  tx: TransactionSql;
  /** Work that must wait for the outermost commit (enqueues), dropped if the scope rolls back. */
  afterCommit: (() => Promise<void>)[];
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * Runs `fn` in a transaction: a real one at the top, a savepoint inside an open one. Queries made
 * through a `scopedSql` pool within `fn` join it, so a caller can wrap code that was written for
 * single statements (the idempotency record does). Resolves after the commit and after the
 * deferred `afterCommit` work has run.
 */
export async function transaction<T>(sql: Sql, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const outer = scopes.getStore();
  if (outer) {
    const afterCommit: Scope['afterCommit'] = [];
    const result = await outer.tx.savepoint((tx) => scopes.run({ tx, afterCommit }, () => fn(tx)));
    outer.afterCommit.push(...afterCommit);
    return result as T;
  }
  const afterCommit: Scope['afterCommit'] = [];
  const result = await sql.begin((tx) => scopes.run({ tx, afterCommit }, () => fn(tx)));
  for (const task of afterCommit) await task();
  return result as T;
}

/** Defers `task` until the open transaction commits (it never runs if it rolls back); without one, runs it now. */
export async function afterCommit(task: () => Promise<void>): Promise<void> {
  const scope = scopes.getStore();
  if (scope) scope.afterCommit.push(task);
  else await task();
}

/**
 * The pool as repositories see it: a query joins the transaction `transaction()` opened in this
 * async context, if any, else runs on the pool. `begin` becomes `transaction`, so a service's own
 * transaction nests as a savepoint (`begin`'s options string is not supported: nothing uses it).
 */
export function scopedSql(sql: Sql): Sql {
  const begin = (...args: unknown[]) => transaction(sql, args.at(-1) as (tx: TransactionSql) => Promise<unknown>);
  return new Proxy(sql, {
    apply: (target, thisArg, args) => Reflect.apply(scopes.getStore()?.tx ?? target, thisArg, args),
    get: (target, prop) => {
      if (prop === 'begin') return begin;
      const current = scopes.getStore()?.tx ?? target;
      const value: unknown = Reflect.get(current, prop);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
