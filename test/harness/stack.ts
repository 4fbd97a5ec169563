import { loadApiConfig } from '@chatq/api/config.ts';
import { ChatqClient } from '@chatq/client';
import { createApiServer, type ApiServer } from '@chatq/api/server.ts';
import { createLogger, createSql, type Sql } from '@chatq/platform';
import { loadWorkerConfig } from '@chatq/worker/config.ts';
import { startTurnWorker, type TurnWorker, type TurnWorkerDeps } from '@chatq/worker/worker.ts';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase, uniqueName } from './db.ts';
import { ApiClient } from './http.ts';

export { eventually } from './eventually.ts';

/** The admin token every test stack boots with. */
export const ADMIN_TOKEN = 'cq_test_admin_token_0123456789abcdefghijklmnop';
/** A fixed 32-byte key (hex) for sealing provider keys in tests. */
export const TEST_SECRET_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

/** Environment for chatq processes under test: own database, own queue prefix, quiet logs. */
export function testEnv(db: TestDatabase, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: prefix,
    CHATQ_SECRET_KEY: TEST_SECRET_KEY,
    CHATQ_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    RELAY_INTERVAL_MS: '200',
    RELAY_AFTER_MS: '500',
    // Limits out of the way; rate-limit tests set their own.
    RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
    RATE_LIMIT_TURNS_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    ...extra,
  };
}

/** A whole chatq (API + optional in-process worker) on a database and queue prefix of its own. */
export interface TestStack {
  db: TestDatabase;
  sql: Sql;
  env: Record<string, string>;
  prefix: string;
  baseUrl: string;
  /** An untyped client as the admin, for deliberately malformed requests only. */
  admin: ApiClient;
  /** The typed client (libs/client), as the admin: every well-formed request goes through it. */
  client: ChatqClient;
  api: ApiServer;
  worker?: TurnWorker;
  /** Starts (another) in-process worker on this stack's database and queue. */
  startWorker: (extraEnv?: Record<string, string>, deps?: Pick<TurnWorkerDeps, 'callModel'>) => TurnWorker;
  /** Creates a member and returns an untyped client as them, for deliberately malformed requests. */
  member: (username?: string) => Promise<ApiClient>;
  /** Creates a member and returns a typed client authenticated as them. */
  memberClient: (username?: string) => Promise<ChatqClient>;
  close: () => Promise<void>;
}

export async function startStack(
  options: {
    worker?: boolean;
    env?: Record<string, string>;
    callModel?: TurnWorkerDeps['callModel'];
    /** Where the API and workers log (at the env's LOG_LEVEL), instead of stdout. */
    logTo?: DestinationStream;
  } = {},
): Promise<TestStack> {
  const db = await createTestDatabase();
  const prefix = uniqueName('q');
  const env = testEnv(db, prefix, options.env);
  const logger = createLogger({ service: 'test', level: env.LOG_LEVEL! }, options.logTo);
  const api = await createApiServer(loadApiConfig(env), logger);
  const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  const admin = new ApiClient(address, ADMIN_TOKEN);
  const workers: { tw: TurnWorker; sql: Sql }[] = [];

  const startWorker: TestStack['startWorker'] = (extraEnv = {}, deps = {}) => {
    const config = loadWorkerConfig({ ...env, ...extraEnv });
    const sql = createSql(config.databaseUrl, { max: 5, applicationName: 'chatq-test-worker' });
    const tw = startTurnWorker({ config, logger, sql, callModel: deps.callModel ?? options.callModel });
    workers.push({ tw, sql });
    return tw;
  };

  let n = 0;
  const client = new ChatqClient({ baseUrl: address, token: ADMIN_TOKEN });
  const stack: TestStack = {
    db,
    sql: db.sql,
    env,
    prefix,
    baseUrl: address,
    admin,
    client,
    api,
    worker: options.worker === false ? undefined : startWorker(),
    startWorker,
    member: async (username) => admin.as((await stack.memberClient(username)).token),
    memberClient: async (username = `member${++n}`) => {
      const { body } = await client.createUser({ body: { username } });
      const minted = await client.createToken({ params: { id: body.user.id } });
      return client.as(minted.body.token);
    },
    close: async () => {
      for (const { tw, sql } of workers) {
        await tw.close();
        await sql.end({ timeout: 1 });
      }
      await api.close();
      await db.drop();
    },
  };
  return stack;
}
