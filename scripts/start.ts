// `npm start`: migrate, make sure the admin exists (printing its token when this start created it), then run the API and one worker as two processes, and stop both together.
import { createLogger, createSql, ensureDatabase, migrate } from '@chatq/platform';
import { adminTokenNotice } from './admin-token.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const log = createLogger({ service: 'start', level: process.env.LOG_LEVEL ?? 'info' });
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/chatq';

await ensureDatabase(databaseUrl, log);
const sql = createSql(databaseUrl, { max: 1, applicationName: 'chatq-start' });
await migrate(sql, log);
const notice = await adminTokenNotice(sql, process.env.CHATQ_BOOTSTRAP_TOKEN);
if (notice) console.error(notice);
await sql.end();

const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const children: ChildProcess[] = [
  spawn(process.execPath, [entry('../services/api/src/main.ts')], { stdio: 'inherit' }),
  spawn(process.execPath, [entry('../services/worker/src/main.ts')], { stdio: 'inherit' }),
];

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
};
// Ctrl-C already reaches the children through the process group; SIGTERM aimed at us is passed on.
process.on('SIGINT', () => {
  stopping = true;
});
process.on('SIGTERM', () => stop('SIGTERM'));

let exitCode = 0;
await Promise.all(
  children.map(
    (child) =>
      new Promise<void>((done) =>
        child.on('exit', (code) => {
          if (code !== 0) exitCode = 1;
          if (!stopping) {
            log.error({ pid: child.pid, code }, 'a chatq process exited; stopping the other');
            stop('SIGTERM');
          }
          done();
        }),
      ),
  ),
);
process.exit(exitCode);
