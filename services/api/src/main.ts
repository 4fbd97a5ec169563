import { ConfigError, createLogger, installShutdown, SecretKeyMismatchError, startTracing } from '@chatq/platform';
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
installShutdown({
  logger,
  graceMs: config.shutdownGraceMs,
  steps: [{ name: 'api', run: server.close }, ...(stopTracing ? [{ name: 'tracing', run: stopTracing }] : [])],
});
