import type { AddressInfo } from 'node:net';
import {
  announceListening,
  ConfigError,
  createLogger,
  installShutdown,
  SecretKeyMismatchError,
  startTracing,
  StartupError,
  waitForDependencies,
} from '@chatq/platform';
import { loadApiConfig } from './config.ts';
import { createApiServer } from './server.ts';

let config;
try {
  config = loadApiConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`chatq api: ${err.message}`);
  process.exit(1);
}

const logger = createLogger({ service: 'api', level: config.logLevel });
try {
  // Postgres only: the API serves without Redis (new turns wait in the outbox until it is back).
  await waitForDependencies({ databaseUrl: config.databaseUrl }, config.startupTimeoutMs, logger);
} catch (err) {
  if (!(err instanceof StartupError)) throw err;
  // The message says what to check; a stack trace would only bury it.
  logger.fatal(err.message);
  process.exit(1);
}
const stopTracing = config.otlpEndpoint
  ? await startTracing({ service: 'api', endpoint: config.otlpEndpoint })
  : undefined;
const server = await createApiServer(config, logger).catch((err: unknown) => {
  if (!(err instanceof SecretKeyMismatchError)) throw err;
  // An operator's mistake, not a crash: the message says what to fix, a stack trace would not.
  console.error(`chatq api: ${err.message}`);
  process.exit(1);
});
await server.app.listen({ port: config.port, host: config.host });
announceListening((server.app.server.address() as AddressInfo).port);
installShutdown({
  logger,
  graceMs: config.shutdownGraceMs,
  steps: [{ name: 'api', run: server.close }, ...(stopTracing ? [{ name: 'tracing', run: stopTracing }] : [])],
});
