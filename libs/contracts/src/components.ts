import { z } from 'zod';
import { AuditAction, AuditEvent, AuditTargetType } from './audit.ts';
import {
  Chat,
  ChatStatus,
  FinishReason,
  Message,
  MessagePart,
  PendingToolCall,
  QueuedMessage,
  Turn,
  TurnStatus,
  Usage,
} from './chats.ts';
import { ErrorBody, Validation } from './common.ts';
import {
  ChatEvent,
  ChatStatusChange,
  ChatStatusEvent,
  TurnFailedEvent,
  MessageCompletedEvent,
  MessageCreatedEvent,
  MessageDeltaEvent,
  MessageQueuedEvent,
  MessageUnqueuedEvent,
  ToolCallEvent,
  ToolResultEvent,
  TurnApprovalRequestedEvent,
  TurnRequiresActionEvent,
  TurnStatusEvent,
} from './events.ts';
import { ModelConfig } from './model-configs.ts';
import { Provider, ProviderKind } from './providers.ts';
import { ClientTool, McpServer, McpTool, Tool, ToolKind } from './tools.ts';
import { UsageGroupBy, UsageReport, UsageReportRow, UsageTotals } from './usage.ts';
import { Role, User, UserRateLimits } from './users.ts';

/**
 * The models an OpenAPI document shares as named components (`#/components/schemas/<id>`) instead
 * of repeating them inline in every operation. Registered once, when the contracts are loaded,
 * keeping the metadata (examples, descriptions) the schema already has.
 */
const COMPONENTS: Record<string, z.ZodType> = {
  AuditAction,
  AuditEvent,
  AuditTargetType,
  Chat,
  ChatEvent,
  ChatStatus,
  ChatStatusChange,
  ChatStatusEvent,
  ClientTool,
  ErrorBody,
  FinishReason,
  TurnFailedEvent,
  McpServer,
  McpTool,
  Message,
  MessageCompletedEvent,
  MessageCreatedEvent,
  MessageDeltaEvent,
  MessageQueuedEvent,
  MessagePart,
  MessageUnqueuedEvent,
  ModelConfig,
  PendingToolCall,
  Provider,
  ProviderKind,
  QueuedMessage,
  Role,
  Tool,
  ToolCallEvent,
  ToolKind,
  ToolResultEvent,
  Turn,
  TurnApprovalRequestedEvent,
  TurnRequiresActionEvent,
  TurnStatus,
  TurnStatusEvent,
  Usage,
  UsageGroupBy,
  UsageReport,
  UsageReportRow,
  UsageTotals,
  User,
  UserRateLimits,
  Validation,
};

for (const [id, schema] of Object.entries(COMPONENTS))
  z.globalRegistry.add(schema, { ...z.globalRegistry.get(schema), id });
