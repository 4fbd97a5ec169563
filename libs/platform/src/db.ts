import postgres from 'postgres';

/**
 * The `postgres` tagged-template pool. Repositories take this; in the API a query joins the
 * request's transaction through `scopedSql` (services/api/src/db/transaction.ts), never through a
 * transaction handle passed along.
 */
export type Sql = postgres.Sql;

/** Called with each statement a pool sends and its parameters: tests read the SQL the code runs. */
export type QueryHook = (connection: number, query: string, parameters: unknown[], types: unknown[]) => void;

/** A bounded, prepared-statement pool. Postgres notices are routine (IF NOT EXISTS) and silenced. */
export function createSql(
  url: string,
  options: { max: number; applicationName: string; connectTimeoutSeconds?: number; debug?: QueryHook },
): Sql {
  return postgres(url, {
    max: options.max,
    ...(options.debug ? { debug: options.debug } : {}),
    prepare: true,
    idle_timeout: 60,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
    connection: { application_name: options.applicationName },
    transform: { undefined: null },
  });
}

/** True for errors that mean "Postgres is not reachable", as opposed to a failing statement. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ENOTFOUND' ||
    code === 'ETIMEDOUT' ||
    code === 'EPIPE' ||
    code === 'CONNECT_TIMEOUT' ||
    code === 'CONNECTION_CLOSED' ||
    code === 'CONNECTION_ENDED' ||
    code === 'CONNECTION_DESTROYED' ||
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now
    code === '53300' || // too_many_connections: the server is up but full, like a brief outage
    code.startsWith('08') // connection_exception class
  );
}
