import { createSql, deleteKeys, migrate, Redis } from '@chatq/platform';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { resolveServices } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the Postgres server (its `postgres` database). */
    pgAdminUrl: string;
    /** A migrated database that every test file clones. */
    templateDb: string;
    redisUrl: string;
    /** Prefix of every database and queue this run creates, so teardown can find them. */
    runId: string;
  }
}

/**
 * Finds Postgres and Redis (env, localhost, or testcontainers), builds one migrated template
 * database for the run, and drops everything the run created at the end.
 */
export default async function setup(project: TestProject) {
  const services = await resolveServices();
  const runId = `cqt_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const templateDb = `${runId}_tpl`;

  const admin = createSql(services.pgAdminUrl, { max: 1, applicationName: 'chatq-test-setup' });
  await admin.unsafe(`create database ${templateDb}`);
  const templateUrl = new URL(services.pgAdminUrl);
  templateUrl.pathname = `/${templateDb}`;
  const tpl = createSql(templateUrl.toString(), { max: 1, applicationName: 'chatq-test-setup' });
  await migrate(tpl);
  await tpl.end();

  project.provide('pgAdminUrl', services.pgAdminUrl);
  project.provide('templateDb', templateDb);
  project.provide('redisUrl', services.redisUrl);
  project.provide('runId', runId);

  return async () => {
    const dbs = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`${runId}%`}`;
    for (const { datname } of dbs) await admin.unsafe(`drop database if exists ${datname} with (force)`);
    await admin.end();
    // Queues, event logs and counters of every test file start with the run id.
    const redis = new Redis(services.redisUrl);
    await deleteKeys(redis, `${runId}*`);
    redis.disconnect();
    await services.stop();
  };
}
