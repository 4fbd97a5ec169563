import type { ChatEvent, MessagePart, PendingToolCall, Usage } from '@chatq/contracts';
import { chatStatusEvent, toChat, toMessage, toolCallEvent, toolResultEvent, turnStatusEvent } from '@chatq/chat-core';
import type { Logger, SecretBox } from '@chatq/platform';
import type {
  Claim,
  ClaimedMcpServer,
  Finish,
  HistoryMessage,
  Parked,
  TurnsRepository,
} from '../db/turns.repository.ts';
import type { TurnEventWriter } from '../events/turn-events.ts';
import type { ChatTurnMessage, ModelCaller, ModelReply, ToolCall } from '../llm/types.ts';
import { providerTarget } from '../llm/provider-target.ts';
import { bounded, type ToolOutcome, toolError } from '../tools/output.ts';
import { type McpOffer, type OfferedTool, signingSecret, toolbox } from '../tools/toolbox.ts';
import { callWebhook } from '../tools/webhook.ts';
import { costMicros } from './cost.ts';

type Claimed = Extract<Claim, { outcome: 'claimed' }>;

/** A provider call of the loop failed; run-turn.ts classifies `cause` (retry or fail the turn). */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
}

/** The error of a turn its spend limit stopped before its first call (as chatq_reserve_step records it). */
export const SPEND_LIMIT_ERROR = 'Spend limit reached.';

/** What the loop runs on. */
export interface LoopDeps {
  turns: TurnsRepository;
  secrets: SecretBox;
  callModel: ModelCaller;
  /** The worker's outbound fetch for webhook calls (the provider SSRF rules). */
  webhookFetch: typeof globalThis.fetch;
  /** The tools of the chat's MCP servers, as the model will see them; see tools/mcp.ts. */
  listMcp: (servers: ClaimedMcpServer[], signal: AbortSignal) => Promise<McpOffer[]>;
  /** Runs one MCP tool call (the server's own tool name). */
  callMcp: (server: ClaimedMcpServer, tool: string, input: unknown, signal: AbortSignal) => Promise<ToolOutcome>;
}

/** The part of LoopDeps that runs tools, as worker.ts builds it for a job's logger. */
export type ToolDeps = Pick<LoopDeps, 'webhookFetch' | 'listMcp' | 'callMcp'>;

/** One run of a claimed turn. */
export interface LoopRun {
  claim: Claimed;
  claimId: string;
  writer: TurnEventWriter;
  /** The turn's stop switch (interrupt, edit): aborts provider, webhook and MCP calls alike. */
  stop: AbortSignal;
  /** Bounds each provider call: the provider timeout, within what is left of the turn's deadline. */
  stepSignal: () => AbortSignal;
  log: Logger;
}

/** How a run ended. */
export type LoopEnd =
  | { kind: 'completed'; finish: Finish; usage: Usage; costMicros: number | null; steps: number }
  | { kind: 'parked'; parked: Parked }
  /** The spend limit left no room for the next call: the turn ended (completed or failed). */
  | { kind: 'spend_limit'; finish: Extract<Finish, { outcome: 'completed' | 'failed' }> }
  /** A newer claim or change owns the turn: nothing more may be written. */
  | { kind: 'fenced'; finish: Finish };

const ZERO: Usage = { input_tokens: 0, output_tokens: 0 };

/** Usage summed over steps; an optional count appears when a step reported it. */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
  };
  for (const k of ['reasoning_tokens', 'cache_read_tokens', 'cache_write_tokens'] as const) {
    if (a[k] != null || b[k] != null) sum[k] = (a[k] ?? 0) + (b[k] ?? 0);
  }
  return sum;
}

const addCost = (a: number | null, b: number | null): number | null =>
  a == null && b == null ? null : (a ?? 0) + (b ?? 0);

/** The instructions a model gets: the model config's, then the chat's. */
export function systemPrompt(claim: Claimed): string | undefined {
  const parts = [claim.model.system_prompt, claim.chat.system_prompt].filter((p): p is string => !!p);
  return parts.length ? parts.join('\n\n') : undefined;
}

/** The most tokens a reply may take: the model config's cap, lowered by the turn's own. */
export function replyCap(claim: Pick<Claimed, 'model' | 'turn'>): number | null {
  const caps = [claim.model.max_output_tokens, claim.turn.options?.max_output_tokens].filter(
    (c): c is number => typeof c === 'number',
  );
  return caps.length ? Math.min(...caps) : null;
}

/** The calls made in `parts`. */
const callsOf = (parts: MessagePart[] | undefined): ToolCall[] =>
  (parts ?? []).flatMap((p) =>
    p.type === 'tool_call' ? [{ tool_call_id: p.tool_call_id, name: p.name, input: p.input }] : [],
  );

const answered = (history: HistoryMessage[]): Set<string> =>
  new Set(history.flatMap((m) => (m.parts ?? []).flatMap((p) => (p.type === 'tool_result' ? [p.tool_call_id] : []))));

/**
 * The calls of this turn's last stored step that have no stored result: what a resumed run must
 * settle before the next model call. Empty when the turn starts, or its last step is settled.
 */
export function unsettledCalls(history: HistoryMessage[], turnId: string): ToolCall[] {
  const last = history.findLast((m) => m.role === 'assistant' && m.turn_id === turnId);
  const done = answered(history);
  return callsOf(last?.parts).filter((c) => !done.has(c.tool_call_id));
}

/**
 * The history as a model reads it. A call left without a result by an earlier turn (cancelled
 * while it waited, or stopped by max_steps) gets an error result here, since providers refuse a
 * call with no answer; the current turn's unsettled calls are settled before any model call.
 */
export function modelMessages(history: HistoryMessage[]): ChatTurnMessage[] {
  const done = answered(history);
  const out: ChatTurnMessage[] = [];
  for (const m of history) {
    out.push({ role: m.role, content: m.content, ...(m.parts ? { parts: m.parts } : {}) });
    const orphans = m.role === 'assistant' ? callsOf(m.parts).filter((c) => !done.has(c.tool_call_id)) : [];
    if (orphans.length) {
      out.push({
        role: 'tool',
        content: '',
        parts: orphans.map((c) => ({
          type: 'tool_result' as const,
          tool_call_id: c.tool_call_id,
          name: c.name,
          output: 'not run: the turn ended before this call was answered',
          is_error: true,
        })),
      });
    }
  }
  return out;
}

/**
 * The durable agent loop of one claimed turn. Each step is one model call with the chat's tools;
 * a step that calls tools is stored (its assistant message) before any call runs, and each result
 * is stored as it arrives, so a run that dies is resumed by the next claim at the first unsettled
 * call: results already stored are never fetched again. Calls needing approval park the turn
 * (`awaiting_approval`), webhook and MCP calls run in parallel, client calls park it
 * (`requires_action`); the API queues it again once answered. The loop ends when a step calls no
 * tool or `max_steps` model calls were made (`finish_reason: max_steps`; that step's calls never
 * run). Before each call on a priced model the step reserves its worst-case cost against the owner's
 * spend limit (chatq_reserve_step): one that does not fit ends the turn (`finish_reason:
 * spend_limit`), keeping what it produced. Every write is fenced by the claim and the generation: a
 * fenced write ends the run.
 */
export async function runAgentLoop(deps: LoopDeps, run: LoopRun): Promise<LoopEnd> {
  const { claim, claimId, writer, log } = run;
  const turnId = claim.turn.id;
  const chatId = claim.chat.id;
  const history = [...claim.history];
  const offered = toolbox(claim.tools, await deps.listMcp(claim.mcp_servers, run.stop), claim.chat.client_tools);
  const specs = [...offered.values()].map((t) => t.spec);
  const approved = new Set(claim.turn.approved_tool_calls);
  const maxSteps = claim.model.max_steps;
  let steps = Number(claim.turn.steps);
  let usage = ZERO;
  let cost: number | null = null;
  // Unpriced models cost nothing and are never refused: their calls reserve nothing.
  const priced = claim.model.input_price_per_mtok != null || claim.model.output_price_per_mtok != null;

  const emit = (events: ChatEvent[]) => writer.step(events);

  for (;;) {
    const unsettled = unsettledCalls(history, turnId);
    if (unsettled.length > 0) {
      const settled = await settle(unsettled);
      if (settled) return settled;
    }

    if (priced) {
      const reserved = await deps.turns.reserveStep(turnId, claimId);
      if (reserved.outcome === 'completed' || reserved.outcome === 'failed') {
        log.info({ steps }, 'spend limit reached; turn ends');
        return { kind: 'spend_limit', finish: reserved };
      }
      if (reserved.outcome !== 'reserved') return { kind: 'fenced', finish: reserved };
    }

    const reply = await modelStep();
    steps += 1;
    usage = addUsage(usage, reply.usage);
    const stepCost = costMicros(reply.usage, claim.model);
    cost = addCost(cost, stepCost);
    const calls = reply.toolCalls ?? [];
    const parts: MessagePart[] = [
      ...(reply.text ? [{ type: 'text' as const, text: reply.text }] : []),
      ...calls.map((c) => ({ type: 'tool_call' as const, ...c })),
    ];

    if (calls.length === 0 || steps >= maxSteps) {
      const finish = await deps.turns.complete(turnId, claimId, reply.text, reply.usage, stepCost, {
        parts: calls.length ? parts : null,
        finishReason: calls.length ? 'max_steps' : (reply.finishReason ?? 'stop'),
      });
      return { kind: 'completed', finish, usage, costMicros: cost, steps };
    }

    const recorded = await deps.turns.recordStep(turnId, claimId, reply.text, parts, reply.usage, stepCost);
    if (recorded.outcome !== 'recorded') return { kind: 'fenced', finish: recorded };
    const message = recorded.message!;
    history.push({ role: 'assistant', content: message.content, parts, turn_id: turnId });
    await emit([{ type: 'message.created', data: { message: toMessage(message) } }]);
  }

  async function modelStep(): Promise<ModelReply> {
    try {
      return await deps.callModel({
        provider: providerTarget(claim.provider, deps.secrets),
        model: {
          name: claim.model.model,
          maxOutputTokens: replyCap(claim),
          contextLimit: claim.model.context_limit,
          // The turn's own settings (an OpenAI-facade request's temperature, stop...) win.
          options: { ...claim.model.options, ...claim.turn.options },
        },
        system: systemPrompt(claim),
        messages: modelMessages(history),
        ...(specs.length ? { tools: specs } : {}),
        signal: run.stepSignal(),
        onDelta: (text) => writer.delta(text),
      });
    } catch (err) {
      throw new ModelCallError('model call failed', { cause: err });
    }
  }

  /** Settles the unsettled calls of the last step, or returns how the run ends (parked, fenced). */
  async function settle(calls: ToolCall[]): Promise<LoopEnd | undefined> {
    const toApprove = calls.filter((c) => offered.get(c.name)?.requiresApproval && !approved.has(c.tool_call_id));
    if (toApprove.length) return park('awaiting_approval', toApprove);

    const byWorker = calls.filter((c) => offered.get(c.name)?.runner.kind !== 'client');
    const ends = await Promise.all(byWorker.map((c) => runCall(c)));
    const fenced = ends.find((e) => e !== undefined);
    if (fenced) return fenced;

    const byCaller = calls.filter((c) => offered.get(c.name)?.runner.kind === 'client');
    if (byCaller.length) return park('requires_action', byCaller);
    return undefined;
  }

  /** Runs one call on the worker and stores its result; an unknown tool gets an error result. */
  async function runCall(call: ToolCall): Promise<LoopEnd | undefined> {
    const tool = offered.get(call.name);
    let outcome: ToolOutcome;
    if (!tool) outcome = toolError(`unknown tool "${call.name}"`);
    else {
      await emit([toolCallEvent('tool.call', chatId, turnId, call)]);
      outcome = bounded(await execute(tool, call));
    }
    const recorded = await deps.turns.recordToolResult(turnId, claimId, { ...call, ...outcome });
    if (recorded.outcome !== 'recorded') return { kind: 'fenced', finish: recorded };
    if (recorded.message) {
      history.push({ role: 'tool', content: '', parts: recorded.message.parts ?? [], turn_id: turnId });
      await emit([toolResultEvent(chatId, turnId, call, outcome)]);
    }
    return undefined;
  }

  async function execute(tool: OfferedTool, call: ToolCall): Promise<ToolOutcome> {
    const { runner } = tool;
    if (runner.kind === 'webhook') {
      const webhook = {
        url: runner.tool.url ?? '',
        signingSecret: signingSecret(runner.tool, deps.secrets),
        timeoutMs: runner.tool.timeout_ms,
      };
      const body = { ...call, chat_id: chatId, turn_id: turnId };
      return callWebhook(webhook, body, deps.webhookFetch, run.stop);
    }
    if (runner.kind === 'mcp') return deps.callMcp(runner.server, runner.tool, call.input, run.stop);
    throw new Error(`tool ${call.name} is run by the caller`);
  }

  async function park(status: 'requires_action' | 'awaiting_approval', calls: PendingToolCall[]): Promise<LoopEnd> {
    const parked = await deps.turns.park(turnId, claimId, status, calls);
    if (parked.outcome !== 'parked') return { kind: 'fenced', finish: parked };
    const type = status === 'requires_action' ? 'turn.requires_action' : 'turn.approval_requested';
    await writer.end([
      turnStatusEvent(chatId, turnId, status),
      chatStatusEvent(toChat(parked.chat)),
      ...calls.map((c) => toolCallEvent(type, chatId, turnId, c)),
    ]);
    log.info({ status, calls: calls.length, steps }, 'turn waits');
    return { kind: 'parked', parked };
  }
}
