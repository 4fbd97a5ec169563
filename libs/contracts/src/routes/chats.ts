import {
  ChatList,
  ChatParams,
  ChatResponse,
  CreateChatBody,
  CreateChatResponse,
  DecideApprovalsBody,
  EditMessageBody,
  ListChatsQuery,
  ListMessagesQuery,
  MessageList,
  MessageParams,
  MessageTurnResponse,
  QueuedMessageParams,
  QueuedMessageResponse,
  SendMessageBody,
  SubmitToolOutputsBody,
  TurnParams,
  TurnResponse,
  UpdateChatBody,
} from '../chats.ts';
import { NoContent } from '../common.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

/** A chat with a first message starts a turn; an empty one does not. */
const hasContent = (body: unknown) => typeof body === 'object' && body !== null && 'content' in body;

/** Chats belong to their creator: another user's chat is a 404, never a 403. */
export const chatRoutes = defineRoutes({
  createChat: {
    method: 'POST',
    path: '/api/v1/chats',
    tag: 'chats',
    auth: 'member',
    startsTurn: hasContent,
    summary: 'Create a chat',
    description:
      'With `content`, the chat starts with that user message and a queued turn that answers it (the request ' +
      'then counts against the turns limit too). The title defaults to the start of the message. ' +
      '`system_prompt`, `tool_ids` (tools and MCP servers) and `client_tools` (run by the caller) set what the ' +
      'model is offered; an unknown or disabled tool id refuses the whole request.',
    body: CreateChatBody,
    responses: {
      201: {
        description: 'The new chat, and its first message and turn if `content` was sent.',
        schema: CreateChatResponse,
      },
    },
    errors: {
      400: [ERRORS.invalidModelConfig, ERRORS.noDefaultModel, ERRORS.invalidTool],
      402: [ERRORS.spendLimitReached],
    },
  },
  listChats: {
    method: 'GET',
    path: '/api/v1/chats',
    tag: 'chats',
    auth: 'member',
    summary: 'List chats',
    description:
      'The caller’s chats, newest first, cursor-paginated; filter by `status`, `archived` and title text `q`.',
    query: ListChatsQuery,
    responses: { 200: { description: 'A page of chats.', schema: ChatList } },
    errors: { 400: [ERRORS.invalidCursor] },
  },
  getChat: {
    method: 'GET',
    path: '/api/v1/chats/{chat_id}',
    tag: 'chats',
    auth: 'member',
    summary: 'Get a chat',
    description:
      'The chat with its status (`pending` or `running` while a turn is in flight, `requires_action` or ' +
      '`awaiting_approval` while it waits on tool results or an approval) and last error.',
    params: ChatParams,
    responses: { 200: { description: 'The chat.', schema: ChatResponse } },
    errors: { 404: [ERRORS.chatNotFound] },
  },
  updateChat: {
    method: 'PATCH',
    path: '/api/v1/chats/{chat_id}',
    tag: 'chats',
    auth: 'member',
    summary: 'Update a chat',
    description:
      'Renames, (un)archives, or changes the system prompt and tools. Absent fields are unchanged; an unknown or ' +
      'disabled tool id refuses the whole request. An archived chat refuses sends and edits until unarchived.',
    params: ChatParams,
    body: UpdateChatBody,
    responses: { 200: { description: 'The updated chat.', schema: ChatResponse } },
    errors: { 400: [ERRORS.invalidTool], 404: [ERRORS.chatNotFound] },
  },
  deleteChat: {
    method: 'DELETE',
    path: '/api/v1/chats/{chat_id}',
    tag: 'chats',
    auth: 'member',
    summary: 'Delete a chat',
    description: 'For good: the chat, its messages and turns. A running turn is stopped.',
    params: ChatParams,
    responses: { 204: { description: 'Deleted.', schema: NoContent } },
    errors: { 404: [ERRORS.chatNotFound] },
  },
  sendMessage: {
    method: 'POST',
    path: '/api/v1/chats/{chat_id}/messages',
    tag: 'chats',
    auth: 'member',
    startsTurn: true,
    summary: 'Send a message',
    description:
      'Adds a user message and queues the turn that answers it. While a turn is in flight, ' +
      '`busy_behavior: "queue"` (the default) waits behind it (202) and `"interrupt"` cancels it, keeping its ' +
      'partial reply, and answers at once (201).',
    params: ChatParams,
    body: SendMessageBody,
    responses: {
      201: { description: 'The message and the turn that answers it.', schema: MessageTurnResponse },
      202: { description: 'The chat was busy: the message waits behind the live turn.', schema: QueuedMessageResponse },
    },
    errors: {
      400: [ERRORS.chatArchived, ERRORS.invalidModelConfig],
      402: [ERRORS.spendLimitReached],
      404: [ERRORS.chatNotFound],
      429: [ERRORS.queueFull],
    },
  },
  listMessages: {
    method: 'GET',
    path: '/api/v1/chats/{chat_id}/messages',
    tag: 'chats',
    auth: 'member',
    summary: 'List messages',
    description:
      'The conversation, oldest first, cursor-paginated, and the messages queued behind the live turn in the ' +
      'order they will run.',
    params: ChatParams,
    query: ListMessagesQuery,
    responses: { 200: { description: 'A page of the conversation.', schema: MessageList } },
    errors: { 400: [ERRORS.invalidCursor], 404: [ERRORS.chatNotFound] },
  },
  editMessage: {
    method: 'PATCH',
    path: '/api/v1/chats/{chat_id}/messages/{message_id}',
    tag: 'chats',
    auth: 'member',
    startsTurn: true,
    summary: 'Edit a user message',
    description:
      'Replaces the message and drops everything after it (a running turn is superseded), then queues a turn ' +
      'that answers the edited message.',
    params: MessageParams,
    body: EditMessageBody,
    responses: {
      200: { description: 'The edited message and the turn that answers it.', schema: MessageTurnResponse },
    },
    errors: {
      400: [ERRORS.chatArchived, ERRORS.notUserMessage, ERRORS.invalidModelConfig],
      402: [ERRORS.spendLimitReached],
      404: [ERRORS.chatNotFound, ERRORS.messageNotFound],
    },
  },
  interruptChat: {
    method: 'POST',
    path: '/api/v1/chats/{chat_id}/interrupt',
    tag: 'chats',
    auth: 'member',
    summary: 'Interrupt the running turn',
    description:
      'Cancels the turn in flight, keeping the partial reply clients were streamed (marked `interrupted`); ' +
      'the next queued message then runs.',
    params: ChatParams,
    responses: { 200: { description: 'The chat after the interrupt.', schema: ChatResponse } },
    errors: { 404: [ERRORS.chatNotFound], 409: [ERRORS.notInterruptible] },
  },
  deleteQueuedMessage: {
    method: 'DELETE',
    path: '/api/v1/chats/{chat_id}/queue/{id}',
    tag: 'chats',
    auth: 'member',
    summary: 'Withdraw a queued message',
    description: 'Deletes a message that waits behind the live turn, before it runs.',
    params: QueuedMessageParams,
    responses: { 204: { description: 'Withdrawn.', schema: NoContent } },
    errors: { 404: [ERRORS.chatNotFound, ERRORS.queuedMessageNotFound] },
  },
  getTurn: {
    method: 'GET',
    path: '/api/v1/chats/{chat_id}/turns/{turn_id}',
    tag: 'chats',
    auth: 'member',
    summary: 'Get a turn',
    description: 'One assistant turn: its status, and its error if it failed.',
    params: TurnParams,
    responses: { 200: { description: 'The turn.', schema: TurnResponse } },
    errors: { 404: [ERRORS.turnNotFound] },
  },
  submitToolOutputs: {
    method: 'POST',
    path: '/api/v1/chats/{chat_id}/turns/{turn_id}/tool-outputs',
    tag: 'chats',
    auth: 'member',
    // It lets the turn go on: more model calls, so it counts against the turns limit.
    startsTurn: true,
    summary: 'Send client tool results',
    description:
      'Answers calls of a turn in `requires_action` (its `pending_tool_calls`). Once every pending call has ' +
      'an output the turn is queued again and goes on; until then it keeps waiting for the rest.',
    params: TurnParams,
    body: SubmitToolOutputsBody,
    responses: { 200: { description: 'The turn after the answers.', schema: TurnResponse } },
    errors: {
      400: [ERRORS.unknownToolCall],
      404: [ERRORS.chatNotFound, ERRORS.turnNotFound],
      409: [ERRORS.turnNotWaitingOutputs],
    },
  },
  decideApprovals: {
    method: 'POST',
    path: '/api/v1/chats/{chat_id}/turns/{turn_id}/approvals',
    tag: 'chats',
    auth: 'member',
    // It lets the turn go on: more model calls, so it counts against the turns limit.
    startsTurn: true,
    summary: 'Approve or deny tool calls',
    description:
      'Decides on calls of a turn in `awaiting_approval` (its `pending_tool_calls`). An approved call runs; a ' +
      'denied one never does, and the model reads `denied by the user` (with the reason). Once every pending ' +
      'call is decided the turn is queued again.',
    params: TurnParams,
    body: DecideApprovalsBody,
    responses: { 200: { description: 'The turn after the decisions.', schema: TurnResponse } },
    errors: {
      400: [ERRORS.unknownToolCall],
      404: [ERRORS.chatNotFound, ERRORS.turnNotFound],
      409: [ERRORS.turnNotAwaitingApproval],
    },
  },
});
