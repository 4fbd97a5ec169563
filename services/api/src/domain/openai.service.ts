import type {
  ChatCompletion,
  ChatCompletionBody,
  Conversation,
  CreateResponseBody,
  ItemList,
  ItemListQuery,
  Message,
  OpenAIModel,
  OpenAIResponse,
  Turn,
  User,
} from '@chatq/contracts';
import type { Sql } from '@chatq/platform';
import type { TurnAnnotation } from '../db/chats.repository.ts';
import type { OpenAIRepository, OwnedTurn } from '../db/openai.repository.ts';
import { transaction } from '../db/transaction.ts';
import type { DeltaSink, TurnFollower } from '../events/turn-follower.ts';
import type { ChatsService } from './chats.service.ts';
import {
  AppError,
  BadGatewayError,
  BadRequestError,
  ConflictError,
  ModelNotFoundError,
  NotFoundError,
} from './errors.ts';
import type { Logger } from './logger.ts';
import {
  callOptionsOf,
  chatCompletionOf,
  chatIdOf,
  clientToolsOf,
  type Continuation,
  continuationOf,
  conversationIdOf,
  epochSeconds,
  historyOfChat,
  historyOfInput,
  itemsOf,
  messageIdOfItem,
  type ResponseFacts,
  responseOf,
  turnIdOf,
} from './openai.mapping.ts';

/** A turn the facade started (or resumed), and where in its chat's log to follow it from. */
export interface StartedTurn {
  chatId: string;
  turn: Turn;
  after: string;
}

/** How a followed turn ended, read back from Postgres. */
export interface FinishedTurn {
  /** Undefined when the turn is gone (its chat was deleted meanwhile). */
  owned?: OwnedTurn;
  messages: Message[];
}

class ResponseNotFoundError extends NotFoundError {
  constructor() {
    super('Response not found.');
  }
}

class ConversationNotFoundError extends NotFoundError {
  constructor() {
    super('Conversation not found.');
  }
}

/** A turn failed: its error is safe to show (the provider's reason, or chatq's). */
export class TurnFailedError extends BadGatewayError {
  constructor(error: string | undefined) {
    super('The model call failed.', error ?? 'The turn failed.');
  }
}

/**
 * The OpenAI-compatible facade, on chatq's own chats and turns: every request becomes a create,
 * send, edit, tool-output or interrupt of ChatsService (the same SQL functions, limits and events as
 * `/api/v1`), and the answer follows the turn through its chat's event log, then reads it back from
 * Postgres. The API never calls a provider.
 */
export class OpenAIService {
  private readonly sql: Sql;
  private readonly chats: ChatsService;
  private readonly reads: OpenAIRepository;
  private readonly follower: TurnFollower;

  constructor(deps: { sql: Sql; chats: ChatsService; reads: OpenAIRepository; follower: TurnFollower }) {
    this.sql = deps.sql;
    this.chats = deps.chats;
    this.reads = deps.reads;
    this.follower = deps.follower;
  }

  // ---- Models -----------------------------------------------------------------------------------

  async models(): Promise<OpenAIModel[]> {
    return (await this.reads.models()).map(toModel);
  }

  async model(name: string): Promise<OpenAIModel> {
    const found = await this.reads.model(name);
    if (!found) throw new ModelNotFoundError();
    return toModel(found);
  }

  // ---- Chat completions -------------------------------------------------------------------------

  /**
   * Starts a chat completion: a hidden chat holding the messages, and the turn that answers them.
   * The chat stays (its reply carries the usage the user is accounted for) but no chat list shows it.
   */
  async startChatCompletion(actor: User, body: ChatCompletionBody, log: Logger): Promise<StartedTurn> {
    const model = await this.model(body.model);
    const { system, history } = historyOfChat(body.messages);
    const annotation: TurnAnnotation = { options: callOptionsOf(body), facade: null };
    const agent = {
      system_prompt: system,
      client_tools: clientToolsOf(body.tools?.map((t) => t.function)),
      model: model.id,
    };
    const { chat, turn } = await this.chats.createFromHistory(
      actor,
      { ...agent, hidden: true },
      history,
      annotation,
      log,
    );
    return { chatId: chat.id, turn, after: '0' };
  }

  /**
   * Follows a started turn until it stops, calling `onDelta` with its text, and reads it back. A
   * chat completion is stateless: a turn left waiting for the caller's tool results is cancelled
   * (the next request sends the whole conversation again, results included), and so is one whose
   * caller went away (`signal`).
   */
  async finishChatCompletion(
    actor: User,
    started: StartedTurn,
    onDelta: DeltaSink,
    signal: AbortSignal | undefined,
    log: Logger,
  ): Promise<{ completion: ChatCompletion; messages: Message[]; turn: Turn }> {
    const status = await this.follower.follow(started.chatId, started.after, started.turn.id, onDelta, signal);
    const { owned, messages } = await this.finished(actor, started.turn.id);
    if (status === undefined || !owned) throw new TurnFailedError('The chat was deleted while the turn ran.');
    if (signal?.aborted || owned.turn.status === 'requires_action' || owned.turn.status === 'awaiting_approval') {
      await this.stop(actor, started.chatId, log);
    }
    if (owned.turn.status === 'failed') throw new TurnFailedError(owned.turn.error);
    return { completion: chatCompletionOf(owned.turn, messages), messages, turn: owned.turn };
  }

  // ---- Responses --------------------------------------------------------------------------------

  /**
   * Starts a response: a new chat (with `instructions` as its system prompt), or the next turn of
   * the chat `previous_response_id` or `conversation` names. From an earlier response of its chat,
   * the new input replaces the user message that followed it (an edit: later turns leave the
   * conversation). Function call outputs answer the response's waiting turn, which goes on: the
   * response that follows is the same turn.
   */
  async startResponse(actor: User, body: CreateResponseBody, log: Logger): Promise<StartedTurn> {
    const model = await this.model(body.model);
    const conversation = typeof body.conversation === 'string' ? body.conversation : body.conversation?.id;
    const facts: ResponseFacts = {
      background: body.background ?? false,
      store: body.store ?? true,
      previous_response_id: body.previous_response_id ?? null,
      conversation: conversation ?? null,
    };
    const annotation: TurnAnnotation = { options: callOptionsOf(body), facade: { ...facts } };
    const tools = body.tools ? clientToolsOf(body.tools) : undefined;

    if (!body.previous_response_id && !conversation) {
      const { system, history } = historyOfInput(body.input, body.instructions);
      const agent = { system_prompt: system, client_tools: tools ?? [], model: model.id, hidden: false };
      const { chat, turn } = await this.chats.createFromHistory(actor, agent, history, annotation, log);
      return { chatId: chat.id, turn, after: '0' };
    }

    const continuation = continuationOf(body.input);
    if (!continuation) {
      throw new BadRequestError(
        'Unsupported input.',
        'Continuing a response takes one user message, or the outputs of its function calls.',
      );
    }
    let chatId: string;
    let previous: OwnedTurn | undefined;
    if (body.previous_response_id) {
      previous = await this.reads.turn(actor.id, turnIdOf(body.previous_response_id));
      if (!previous) throw new ResponseNotFoundError();
      chatId = previous.chat.id;
    } else {
      chatId = chatIdOf(conversation!);
      await this.conversation(actor, conversation!);
    }
    const after = await this.follower.position(chatId);
    const turn = await transaction(this.sql, async () => {
      if (tools || body.instructions != null) {
        await this.chats.update(actor, chatId, {
          ...(tools ? { client_tools: tools } : {}),
          ...(body.instructions != null ? { system_prompt: body.instructions } : {}),
        });
      }
      return this.continueChat(actor, chatId, previous, continuation, model.id, annotation, log);
    });
    return { chatId, turn, after };
  }

  /** The turn a continuation starts (a send or an edit) or resumes (tool outputs). */
  private async continueChat(
    actor: User,
    chatId: string,
    previous: OwnedTurn | undefined,
    continuation: Continuation,
    model: string,
    annotation: TurnAnnotation,
    log: Logger,
  ): Promise<Turn> {
    if (continuation.kind === 'outputs') {
      const waiting = previous?.turn;
      if (!waiting) throw new ConflictError('Turn is not waiting for tool outputs.');
      return this.chats.submitToolOutputs(actor, chatId, waiting.id, { outputs: continuation.outputs }, log);
    }
    const branchFrom = previous && (await this.reads.nextUserMessage(chatId, previous.turn.id));
    let turn: Turn;
    if (branchFrom) {
      turn = (
        await this.chats.edit(actor, chatId, branchFrom, { content: continuation.content, model_config_id: model }, log)
      ).turn;
    } else {
      const sent = await this.chats.send(
        actor,
        chatId,
        { content: continuation.content, model_config_id: model, busy_behavior: 'queue' },
        log,
      );
      // A response answers at once or in the background, never after the chat's queue: refuse it
      // (the transaction rolls the queued message back).
      if ('queued_message' in sent) throw new ConflictError('The conversation has a response in progress.');
      turn = sent.turn;
    }
    await this.chats.annotateTurn(actor, turn.id, annotation);
    return turn;
  }

  /**
   * Follows a response's turn until it stops (`onDelta` gets its text), then reads it back; with
   * `store: false`, deletes its chat.
   */
  async finishResponse(
    actor: User,
    started: StartedTurn,
    onDelta: DeltaSink,
    signal: AbortSignal | undefined,
    log: Logger,
  ): Promise<OpenAIResponse> {
    await this.follower.follow(started.chatId, started.after, started.turn.id, onDelta, signal);
    const { owned, messages } = await this.finished(actor, started.turn.id);
    if (!owned) throw new ResponseNotFoundError();
    const response = this.responseFrom(owned, messages);
    if (response.store === false && !['queued', 'in_progress'].includes(response.status)) {
      await this.chats.delete(actor, started.chatId, log).catch((err: unknown) => {
        if (!(err instanceof AppError)) throw err;
      });
    }
    return response;
  }

  /** A response as it stands now. */
  async response(actor: User, responseId: string): Promise<OpenAIResponse> {
    const { owned, messages } = await this.finished(actor, turnIdOf(responseId));
    if (!owned || owned.chat.hidden) throw new ResponseNotFoundError();
    return this.responseFrom(owned, messages);
  }

  /** The response as chatq holds it now (for a response just started: queued). */
  async startedResponse(actor: User, started: StartedTurn): Promise<OpenAIResponse> {
    return this.response(actor, `resp_${started.turn.id.replaceAll('-', '')}`);
  }

  /** Interrupts a response's turn (keeping its partial text) and answers it, cancelled. */
  async cancelResponse(actor: User, responseId: string, log: Logger): Promise<OpenAIResponse> {
    const owned = await this.reads.turn(actor.id, turnIdOf(responseId));
    if (!owned || owned.chat.hidden) throw new ResponseNotFoundError();
    if (!['queued', 'running', 'requires_action', 'awaiting_approval'].includes(owned.turn.status)) {
      throw new ConflictError('Only a response that is still running can be cancelled.');
    }
    await this.chats.interrupt(actor, owned.chat.id, log);
    return this.response(actor, responseId);
  }

  /** Deletes a response with its chat (a chat holds its responses). */
  async deleteResponse(actor: User, responseId: string, log: Logger): Promise<void> {
    const owned = await this.reads.turn(actor.id, turnIdOf(responseId));
    if (!owned || owned.chat.hidden) throw new ResponseNotFoundError();
    await this.chats.delete(actor, owned.chat.id, log);
  }

  /** The conversation a response answered: its chat's messages before its reply. */
  async inputItems(actor: User, responseId: string, query: ItemListQuery): Promise<ItemList> {
    const owned = await this.reads.turn(actor.id, turnIdOf(responseId));
    if (!owned || owned.chat.hidden) throw new ResponseNotFoundError();
    return this.items(actor, owned.chat.id, query, owned.turn.id);
  }

  // ---- Conversations ----------------------------------------------------------------------------

  async createConversation(actor: User, log: Logger): Promise<Conversation> {
    const { chat } = await this.chats.create(actor, { title: 'Conversation' }, log);
    return {
      id: conversationIdOf(chat.id),
      object: 'conversation',
      created_at: epochSeconds(chat.created_at),
      metadata: {},
    };
  }

  async conversation(actor: User, conversationId: string): Promise<Conversation> {
    const chat = await this.chats.get(actor, chatIdOf(conversationId)).catch(() => {
      throw new ConversationNotFoundError();
    });
    return { id: conversationId, object: 'conversation', created_at: epochSeconds(chat.created_at), metadata: {} };
  }

  async deleteConversation(actor: User, conversationId: string, log: Logger): Promise<void> {
    await this.chats.delete(actor, chatIdOf(conversationId), log).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new ConversationNotFoundError() : err;
    });
  }

  async conversationItems(actor: User, conversationId: string, query: ItemListQuery): Promise<ItemList> {
    return this.items(actor, chatIdOf(conversationId), query);
  }

  // ---- Shared -----------------------------------------------------------------------------------

  private async items(actor: User, chatId: string, query: ItemListQuery, beforeTurnId?: string): Promise<ItemList> {
    const afterId = query.after === undefined ? undefined : messageIdOfItem(query.after);
    if (query.after !== undefined && !afterId) {
      throw new BadRequestError('Invalid request.', undefined, [
        { field: 'querystring.after', detail: 'is not an item id this list issued' },
      ]);
    }
    const page = await this.reads.chatMessages(actor.id, chatId, {
      limit: query.limit,
      order: query.order,
      ...(afterId ? { afterId } : {}),
      ...(beforeTurnId ? { beforeTurnId } : {}),
    });
    if (!page) throw beforeTurnId ? new ResponseNotFoundError() : new ConversationNotFoundError();
    const data = itemsOf(page.messages);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    };
  }

  private responseFrom(owned: OwnedTurn, messages: Message[]): OpenAIResponse {
    return responseOf({
      turn: owned.turn,
      messages,
      instructions: owned.chat.system_prompt,
      tools: owned.chat.client_tools,
      facts: owned.facade as ResponseFacts | null,
      options: owned.options,
    });
  }

  private async finished(actor: User, turnId: string): Promise<FinishedTurn> {
    const owned = await this.reads.turn(actor.id, turnId);
    return { ...(owned ? { owned } : {}), messages: owned ? await this.reads.turnMessages(turnId) : [] };
  }

  /** Cancels the chat's live turn, if it still has one. */
  private async stop(actor: User, chatId: string, log: Logger): Promise<void> {
    await this.chats.interrupt(actor, chatId, log).catch((err: unknown) => {
      if (!(err instanceof AppError)) throw err;
    });
  }
}

function toModel(m: { id: string; display_name: string | null; created_at: Date }): OpenAIModel {
  return {
    id: m.id,
    object: 'model',
    created: Math.floor(m.created_at.getTime() / 1000),
    owned_by: 'chatq',
    display_name: m.display_name,
  };
}
