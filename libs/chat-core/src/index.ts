export * from './event-builders.ts';
export * from './event-log.ts';
export * from './rows.ts';
export * from './turn-queue.ts';
