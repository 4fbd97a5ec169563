import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import postgres from 'postgres';
import type { Sql } from './db.ts';

/** infra/migrations, resolved from this file so it works from any working directory. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../infra/migrations/', import.meta.url));

/** Arbitrary constant: every chatq migrator takes this advisory lock, so replicas never race. */
const MIGRATION_LOCK_KEY = 0x63_68_61_74_71; // "chatq"

/** A migration file: `NNNN_name.sql`, applied in version order. */
export interface Migration {
  version: string;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: file.slice(0, 4),
      name: file.slice(5, -4),
      sql: await readFile(`${dir}/${file}`, 'utf8'),
    })),
  );
}

/**
 * Applies pending migrations, each in its own transaction, under a session advisory lock held on one
 * reserved connection. Safe to run from many processes at once: latecomers wait, then find nothing
 * to do. Returns the versions this call applied.
 */
export async function migrate(sql: Sql, logger?: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await loadMigrations(dir);
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await conn`
      create table if not exists schema_migrations (
        version text primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const applied = new Set(
      (await conn<{ version: string }[]>`select version from schema_migrations`).map((r) => r.version),
    );
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      // A reserved connection has no begin(): the transaction is spelled out on it.
      await conn`begin`;
      try {
        await conn.unsafe(m.sql);
        await conn`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
        await conn`commit`;
      } catch (err) {
        await conn`rollback`;
        throw err;
      }
      logger?.info({ version: m.version, name: m.name }, 'migration applied');
      done.push(m.version);
    }
    return done;
  } finally {
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    conn.release();
  }
}

/** Versions on disk that the database has not recorded yet (readiness reports these). */
export async function pendingMigrations(sql: Sql, migrations: Migration[]): Promise<string[]> {
  const rows = await sql<{ version: string }[]>`
    select version from schema_migrations where version = any(${migrations.map((m) => m.version)})`.catch(
    (err: { code?: string }) => {
      if (err.code === '42P01') return []; // schema_migrations does not exist yet
      throw err;
    },
  );
  const applied = new Set(rows.map((r) => r.version));
  return migrations.map((m) => m.version).filter((v) => !applied.has(v));
}

/**
 * Creates the database named in `url` when it does not exist yet, so a new install needs nothing
 * but a reachable server. Connects to the server's `postgres` database to do it.
 */
export async function ensureDatabase(url: string, logger?: Logger): Promise<void> {
  const probe = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await probe`select 1`;
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // invalid_catalog_name
  } finally {
    await probe.end();
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = postgres(target.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
    logger?.info({ database: name }, 'created database');
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // duplicate_database: another replica won
  } finally {
    await admin.end();
  }
}
