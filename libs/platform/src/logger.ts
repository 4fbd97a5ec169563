import { type DestinationStream, pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys that must never reach a log line, at the top of a logged object or one level down. */
const REDACT = [
  'api_key',
  '*.api_key',
  'apiKey',
  '*.apiKey',
  'req.headers.authorization',
  'headers.authorization',
  'token',
  '*.token',
  // A provider's sealed headers, in the clear in a request body or a worker's call.
  'secret_headers',
  '*.secret_headers',
  // A provider error (the AI SDK's APICallError) carries the request it failed: the conversation.
  '*.requestBodyValues',
  'err.cause.requestBodyValues',
];

/**
 * Structured JSON logs; human-readable only when a person is watching a terminal. Lines go to
 * stdout, or to `destination` when given (tests read what the logger really writes).
 */
export function createLogger(options: { service: string; level: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      name: options.service,
      level: options.level,
      base: { service: options.service },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(!destination && process.stdout.isTTY
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
        : {}),
    },
    destination,
  );
}
