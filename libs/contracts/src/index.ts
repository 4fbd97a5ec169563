export * from './chats.ts';
export * from './common.ts';
export * from './health.ts';
export * from './jobs.ts';
export * from './model-configs.ts';
export * from './providers.ts';
export * from './users.ts';
import './components.ts';
