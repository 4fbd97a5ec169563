import type { ChatqClient, Message } from '@chatq/client';

/** What the CLI waits for: a turn it started, or the turn a queued message gets when it runs. */
export type FollowTarget = { turnId: string } | { queuedMessageId: string };

/** How a followed turn ended, as `--json` prints it. */
export interface TurnOutcome {
  turn_id: string | null;
  /** The turn's last status; `withdrawn` when the queued message never ran. */
  status: 'completed' | 'failed' | 'cancelled' | 'superseded' | 'requires_action' | 'awaiting_approval' | 'withdrawn';
  /** The assistant message (the partial one of an interrupted turn), when the turn stored one. */
  reply: Message | null;
  error?: string;
  /** The calls a waiting turn needs answered or approved. */
  pending_tool_calls?: { tool_call_id: string; name: string; input: unknown }[];
}

/** Where the turn's reply and side notes go as they happen. */
export interface TurnSink {
  text: (delta: string) => void;
  /** A line about the turn for the person watching (tool calls, retries), not part of the reply. */
  note: (line: string) => void;
}

const WAITS = new Set(['requires_action', 'awaiting_approval']);
const ENDS = new Set(['completed', 'failed', 'cancelled', 'superseded', ...WAITS]);

/**
 * Follows one turn through the chat's event stream until it ends or waits on the caller, writing
 * its reply as it arrives. The stream is read from the start of the chat's log (`after=0`, which
 * the API bounds by EVENTS_MAXLEN) and filtered by turn: the request that started the turn has
 * answered before any stream could be opened, and a stream without a cursor starts at the log's
 * end, which a fast reply may already have passed. The client resumes a dropped connection.
 */
export async function followTurn(
  client: ChatqClient,
  chatId: string,
  awaited: FollowTarget,
  sink: TurnSink,
): Promise<TurnOutcome> {
  let turnId = 'turnId' in awaited ? awaited.turnId : null;
  const queuedId = 'queuedMessageId' in awaited ? awaited.queuedMessageId : null;
  let promoted = false;
  let streamed = '';
  let replyId: string | null = null;
  let error: string | undefined;
  const messages = new Map<string, Message>();

  for await (const event of client.streamChatEvents({ params: { chat_id: chatId }, query: { after: '0' } })) {
    switch (event.type) {
      case 'message.created':
        messages.set(event.data.message.id, event.data.message);
        // A queued message runs under its own id; the turn answering it is queued right after.
        if (event.data.message.id === queuedId) promoted = true;
        break;
      case 'message.unqueued':
        if (turnId === null && event.data.id === queuedId) return { turn_id: null, status: 'withdrawn', reply: null };
        break;
      case 'message.delta':
        if (event.data.turn_id === turnId) {
          streamed += event.data.text;
          sink.text(event.data.text);
        }
        break;
      case 'message.completed':
        if (event.data.turn_id === turnId) replyId = event.data.message_id;
        break;
      case 'tool.call':
        if (event.data.turn_id === turnId) sink.note(`[tool] ${event.data.name} ${JSON.stringify(event.data.input)}`);
        break;
      case 'tool.result':
        if (event.data.turn_id === turnId) {
          sink.note(
            `[tool] ${event.data.name} ${event.data.is_error ? 'failed' : 'returned'}: ${JSON.stringify(event.data.output)}`,
          );
        }
        break;
      case 'turn.failed':
        if (event.data.turn_id === turnId) error = event.data.message;
        break;
      case 'turn.status': {
        const { turn_id, status } = event.data;
        if (turnId === null && promoted && status === 'queued') turnId = turn_id;
        if (turn_id !== turnId) break;
        if (status === 'running' && streamed !== '') {
          // A retried attempt writes its reply from the start; what was shown of the last one is void.
          sink.note('the reply is retried from the start');
          streamed = '';
        }
        if (ENDS.has(status)) {
          // The calls a waiting turn asks about are announced after its status: the turn has them all.
          const pending = WAITS.has(status)
            ? (await client.getTurn({ params: { chat_id: chatId, turn_id } })).body.turn.pending_tool_calls
            : undefined;
          return {
            turn_id,
            status: status as TurnOutcome['status'],
            reply: replyId ? (messages.get(replyId) ?? null) : null,
            ...(error || event.data.error ? { error: error ?? event.data.error } : {}),
            ...(pending ? { pending_tool_calls: pending } : {}),
          };
        }
        break;
      }
    }
  }
  // Unreachable: the stream reconnects when dropped, and throws once reconnecting keeps failing.
  throw new Error('the event stream ended');
}

/** Why an outcome is not a finished reply, in words for stderr; undefined when it is one. */
export function outcomeProblem(outcome: TurnOutcome): string | undefined {
  const calls = (outcome.pending_tool_calls ?? []).map((c) => c.name).join(', ');
  switch (outcome.status) {
    case 'completed':
      return undefined;
    case 'failed':
      return `the turn failed: ${outcome.error ?? 'no reason given'}`;
    case 'cancelled':
      return 'the turn was interrupted';
    case 'superseded':
      return 'the turn was superseded by an edit or a newer message';
    case 'requires_action':
      return `the turn waits for the results of client tools (${calls}), which the CLI does not run`;
    case 'awaiting_approval':
      return `the turn awaits approval of ${calls}: approve or deny it through the API or the console`;
    case 'withdrawn':
      return 'the queued message was withdrawn before it ran';
  }
}
