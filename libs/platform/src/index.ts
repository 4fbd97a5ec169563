export * from './db.ts';
export * from './env.ts';
export * from './logger.ts';
export * from './migrate.ts';
export * from './redis.ts';
export * from './secrets.ts';
export * from './shutdown.ts';
export * from './turn-queue.ts';
