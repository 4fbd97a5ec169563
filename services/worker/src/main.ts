import {
  announceListening,
  ConfigError,
  createLogger,
  createSql,
  installShutdown,
  SecretBox,
  SecretKeyMismatchError,
  startTracing,
  StartupError,
  verifySecretKey,
  waitForDependencies,
} from '@chatq/platform';
import { loadWorkerConfig } from './config.ts';
import { startWorkerHttp } from './http.ts';
import { startTurnWorker } from './worker.ts';

let config;
try {
  config = loadWorkerConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`chatq worker: ${err.message}`);
  process.exit(1);
}

const logger = createLogger({ service: 'worker', level: config.logLevel });
try {
  await waitForDependencies(
    { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl },
    config.startupTimeoutMs,
    logger,
  );
} catch (err) {
  if (!(err instanceof StartupError)) throw err;
  // The message says what to check; a stack trace would only bury it.
  logger.fatal(err.message);
  process.exit(1);
}
const stopTracing = config.otlpEndpoint
  ? await startTracing({ service: 'worker', endpoint: config.otlpEndpoint })
  : undefined;
const sql = createSql(config.databaseUrl, { max: config.databasePoolMax, applicationName: 'chatq-worker' });
// A worker with the wrong key would report ready and then fail every keyed turn: refuse to start.
try {
  const keyCheck = await verifySecretKey(sql, new SecretBox(config.secretKey, config.secretKeyPrevious));
  if (keyCheck === 'unmigrated') logger.warn('database not migrated yet: CHATQ_SECRET_KEY could not be checked');
  if (keyCheck === 'sealed') logger.info('sealed the key check: CHATQ_SECRET_KEY is now this database’s key');
} catch (err) {
  if (!(err instanceof SecretKeyMismatchError)) throw err;
  console.error(`chatq worker: ${err.message}`);
  process.exit(1);
}
const turnWorker = startTurnWorker({ config, logger, sql });
const http = await startWorkerHttp({
  host: config.httpHost,
  port: config.httpPort,
  registry: turnWorker.metrics,
  readiness: turnWorker.readiness,
  logger,
});
logger.info({ concurrency: config.concurrency, queue_prefix: config.queuePrefix, port: http.port }, 'worker started');
announceListening(http.port);

installShutdown({
  logger,
  graceMs: config.shutdownGraceMs,
  steps: [
    // Most of the grace period goes to finishing turns; the rest to handing back what still runs.
    { name: 'worker', run: () => turnWorker.close(Math.floor(config.shutdownGraceMs * 0.8)) },
    { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
    { name: 'http', run: () => http.close() },
    ...(stopTracing ? [{ name: 'tracing', run: stopTracing }] : []),
  ],
});
