import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys that must never reach a log line, wherever they appear in a logged object. */
const REDACT = [
  'api_key',
  '*.api_key',
  'apiKey',
  '*.apiKey',
  'req.headers.authorization',
  'headers.authorization',
  'token',
  '*.token',
];

/** Structured JSON logs; human-readable only when a person is watching a terminal. */
export function createLogger(options: { service: string; level: string }): Logger {
  return pino({
    name: options.service,
    level: options.level,
    base: { service: options.service },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(process.stdout.isTTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
