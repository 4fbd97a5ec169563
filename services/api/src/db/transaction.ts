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

/** Where a `scopedSql` pool keeps the pool it wraps. */
const POOL = Symbol('chatq.pool');

/**
 * The one way the API runs a transaction: a real one at the top, a savepoint inside an open one.
 * Queries made through a `scopedSql` pool within `fn` (every repository's) join it, so a caller can
 * wrap code that was written for single statements (the idempotency record does). Resolves after
 * the commit and after the deferred `afterCommit` work has run. `sql` may be the pool or a scoped one.
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
  const pool = (sql as Sql & { [POOL]?: Sql })[POOL] ?? sql;
  const result = await pool.begin((tx) => scopes.run({ tx, afterCommit }, () => fn(tx)));
  // Started together, as they would be without a transaction: an event append and an enqueue
  // cost one Redis round trip, not two.
  await Promise.all(afterCommit.map((task) => task()));
  return result as T;
}

/**
 * Defers `task` until the outermost transaction commits (it never runs if it rolls back); without
 * one, runs it now. Everything the API tells Redis about a change (events, fences, aborts, jobs)
 * goes through here, so nobody hears of a change that did not commit.
 */
export async function afterCommit(task: () => Promise<void>): Promise<void> {
  const scope = scopes.getStore();
  if (scope) scope.afterCommit.push(task);
  else await task();
}

/**
 * The pool as repositories see it (each wraps the pool it is given): a query joins the transaction
 * `transaction()` opened in this async context, if any, else runs on the pool. `begin` becomes
 * `transaction`, so a nested `begin` is a savepoint (`begin`'s options string is not supported:
 * nothing uses it). Wrapping a scoped pool again returns it unchanged.
 */
export function scopedSql(sql: Sql): Sql {
  if ((sql as Sql & { [POOL]?: Sql })[POOL]) return sql;
  const begin = (...args: unknown[]) => transaction(sql, args.at(-1) as (tx: TransactionSql) => Promise<unknown>);
  return new Proxy(sql, {
    apply: (target, thisArg, args) => Reflect.apply(scopes.getStore()?.tx ?? target, thisArg, args),
    get: (target, prop) => {
      if (prop === POOL) return target;
      if (prop === 'begin') return begin;
      const current = scopes.getStore()?.tx ?? target;
      const value: unknown = Reflect.get(current, prop);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
