import { auditRoutes } from './audit.ts';
import { chatRoutes } from './chats.ts';
import { eventRoutes } from './events.ts';
import { healthRoutes } from './health.ts';
import { modelConfigRoutes } from './model-configs.ts';
import { openAIRoutes } from './openai.ts';
import { providerRoutes } from './providers.ts';
import { mcpServerRoutes, toolRoutes } from './tools.ts';
import { usageRoutes } from './usage.ts';
import { userRoutes } from './users.ts';

export * from './define.ts';
export * from './errors.ts';
export {
  auditRoutes,
  chatRoutes,
  eventRoutes,
  healthRoutes,
  mcpServerRoutes,
  modelConfigRoutes,
  openAIRoutes,
  providerRoutes,
  toolRoutes,
  usageRoutes,
  userRoutes,
};

/**
 * Every operation of the API, keyed by operationId: the server registers its routes from this table
 * and the OpenAPI document is generated from it, so neither can drift from the other.
 */
export const routes = {
  ...chatRoutes,
  ...eventRoutes,
  ...usageRoutes,
  ...modelConfigRoutes,
  ...providerRoutes,
  ...toolRoutes,
  ...mcpServerRoutes,
  ...userRoutes,
  ...auditRoutes,
  ...healthRoutes,
  ...openAIRoutes,
};
export type Routes = typeof routes;
export type OperationId = keyof Routes;
