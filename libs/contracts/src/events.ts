import { z } from 'zod';
import { ChatStatus, Message, PendingToolCall, QueuedMessage, TurnStatus } from './chats.ts';
import { Uuid } from './common.ts';
import { EXAMPLE } from './examples.ts';

/**
 * Position in a chat's event log: a Redis stream id (`<ms>-<seq>`), sent as the SSE `id:`. `0` means
 * "from the oldest event still kept".
 */
export const EventId = z
  .string()
  .regex(/^(0|\d{1,20}-\d{1,20})$/, { message: 'must be an event id such as 1700000000000-0' })
  .refine(redisCanResumeAfter, { message: 'must be an event id such as 1700000000000-0' })
  .meta({ examples: [EXAMPLE.eventId] });

const MAX_ID_PART = 2n ** 64n - 1n;

/** Redis stream ids are two unsigned 64-bit numbers, and reading after one needs a next id to exist. */
function redisCanResumeAfter(id: string): boolean {
  // Zod runs every check: what is not an id at all is the regex's to refuse.
  if (!/^\d+-\d+$/.test(id)) return true;
  const [ms = 0n, seq = 0n] = id.split('-').map(BigInt);
  return ms <= MAX_ID_PART && seq <= MAX_ID_PART && !(ms === MAX_ID_PART && seq === MAX_ID_PART);
}
export type EventId = z.infer<typeof EventId>;

/** `?after=`: resume after this event (the `Last-Event-ID` header wins when both are sent). */
export const EventsQuery = z.object({ after: EventId.optional() });

/** A turn changed state. */
export const TurnStatusEvent = z
  .object({
    chat_id: Uuid,
    turn_id: Uuid,
    status: TurnStatus,
    error: z.string().optional(),
  })
  .meta({ examples: [{ chat_id: EXAMPLE.chatId, turn_id: EXAMPLE.turnId, status: 'running' }] });

/** A message joined the conversation (user, assistant reply, or an interrupted partial reply). */
export const MessageCreatedEvent = z.object({ message: Message });

/** Text of the running turn's reply as the model produces it. A joiner's first delta carries the text so far. */
export const MessageDeltaEvent = z
  .object({ turn_id: Uuid, text: z.string() })
  .meta({ examples: [{ turn_id: EXAMPLE.turnId, text: 'Saturday: breakfast in Alfama' }] });

/** The running turn's reply ended: `message_id` is the stored reply, null when nothing was kept. */
export const MessageCompletedEvent = z
  .object({
    turn_id: Uuid,
    message_id: Uuid.nullable(),
    interrupted: z.boolean(),
  })
  .meta({ examples: [{ turn_id: EXAMPLE.turnId, message_id: EXAMPLE.replyId, interrupted: false }] });

/** A message was queued behind the live turn. */
export const MessageQueuedEvent = z.object({ message: QueuedMessage });

/** A queued message was deleted before it ran. */
export const MessageUnqueuedEvent = z
  .object({ chat_id: Uuid, id: Uuid })
  .meta({ examples: [{ chat_id: EXAMPLE.chatId, id: EXAMPLE.queuedId }] });

/** The chat's status changed; these also feed `GET /chats/watch`. */
export const ChatStatusEvent = z
  .object({
    chat_id: Uuid,
    status: ChatStatus,
    last_error: z.string().nullable(),
  })
  .meta({ examples: [{ chat_id: EXAMPLE.chatId, status: 'idle', last_error: null }] });

/**
 * A turn failed; `message` is safe to show (it is the turn's `error`). Named `turn.failed`, not
 * `error`: EventSource hands an event called `error` to its transport `onerror` handler.
 */
export const TurnFailedEvent = z
  .object({ chat_id: Uuid, turn_id: Uuid.optional(), message: z.string() })
  .meta({ examples: [{ chat_id: EXAMPLE.chatId, turn_id: EXAMPLE.turnId, message: 'provider rejected the API key' }] });

/** The tool call an event is about, in the turn that made it. */
const ToolCallFields = PendingToolCall.extend({ chat_id: Uuid, turn_id: Uuid });
const TOOL_CALL_EXAMPLE = {
  chat_id: EXAMPLE.chatId,
  turn_id: EXAMPLE.turnId,
  tool_call_id: EXAMPLE.toolCallId,
  name: 'get_weather',
  input: { city: 'Lisbon' },
};

/** The model called a tool; a worker runs it now (webhook, MCP) or the turn will wait for it. */
export const ToolCallEvent = ToolCallFields.meta({ examples: [TOOL_CALL_EXAMPLE] });

/** A tool call has its result (from the tool, the caller, or a refusal: `is_error`). */
export const ToolResultEvent = ToolCallFields.extend({ output: z.unknown(), is_error: z.boolean() }).meta({
  examples: [{ ...TOOL_CALL_EXAMPLE, output: { temperature_c: 24 }, is_error: false }],
});

/**
 * The turn waits for the result of this client tool call (one event per call): run it, then send
 * the result. The turn's `pending_tool_calls` lists every call it waits on.
 */
export const TurnRequiresActionEvent = ToolCallFields.meta({
  examples: [{ ...TOOL_CALL_EXAMPLE, name: 'pick_date', input: { earliest: '2025-07-01' } }],
});

/** The turn waits until this tool call (one event per call) is approved or refused. */
export const TurnApprovalRequestedEvent = ToolCallFields.meta({ examples: [TOOL_CALL_EXAMPLE] });

/** The one event `GET /chats/watch` streams: a chat of the caller's changed status. */
export const ChatStatusChange = z.object({ type: z.literal('chat.status'), data: ChatStatusEvent });

/** Every event chatq streams, as `{type, data}`; SSE sends `type` as `event:` and `data` as JSON. */
export const ChatEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('turn.status'), data: TurnStatusEvent }),
  z.object({ type: z.literal('message.created'), data: MessageCreatedEvent }),
  z.object({ type: z.literal('message.delta'), data: MessageDeltaEvent }),
  z.object({ type: z.literal('message.completed'), data: MessageCompletedEvent }),
  z.object({ type: z.literal('message.queued'), data: MessageQueuedEvent }),
  z.object({ type: z.literal('message.unqueued'), data: MessageUnqueuedEvent }),
  ChatStatusChange,
  z.object({ type: z.literal('turn.failed'), data: TurnFailedEvent }),
  z.object({ type: z.literal('tool.call'), data: ToolCallEvent }),
  z.object({ type: z.literal('tool.result'), data: ToolResultEvent }),
  z.object({ type: z.literal('turn.requires_action'), data: TurnRequiresActionEvent }),
  z.object({ type: z.literal('turn.approval_requested'), data: TurnApprovalRequestedEvent }),
]);
export type ChatEvent = z.infer<typeof ChatEvent>;
export type ChatEventType = ChatEvent['type'];

/** Published to workers on the control channel: stop this turn's provider call now. */
export const TurnAbort = z.object({ turn_id: Uuid, reason: z.enum(['interrupted', 'superseded']) });
export type TurnAbort = z.infer<typeof TurnAbort>;
