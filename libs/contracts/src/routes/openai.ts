import {
  ChatCompletion,
  ChatCompletionBody,
  Conversation,
  ConversationParams,
  CreateConversationBody,
  CreateResponseBody,
  DeletedConversation,
  DeletedResponse,
  ItemList,
  ItemListQuery,
  OpenAIModel,
  OpenAIModelList,
  OpenAIModelParams,
  OpenAIResponse,
  ResponseParams,
} from '../openai.ts';
import { defineRoutes } from './define.ts';
import { ERRORS } from './errors.ts';

/**
 * The OpenAI-compatible facade. Same bearer tokens and limits as `/api/v1`; chat completions and
 * responses count against the turns limit. Errors take OpenAI's shape
 * `{"error": {"message", "type", "param", "code"}}`, with the same statuses.
 */
export const openAIRoutes = defineRoutes({
  openaiListModels: {
    method: 'GET',
    path: '/openai/v1/models',
    tag: 'openai',
    auth: 'member',
    summary: 'List models (OpenAI)',
    description:
      'The enabled model configs: a model’s `id` is its model config id; requests accept its display name too.',
    responses: { 200: { description: 'The models.', schema: OpenAIModelList } },
  },
  openaiGetModel: {
    method: 'GET',
    path: '/openai/v1/models/{model}',
    tag: 'openai',
    auth: 'member',
    summary: 'Get a model (OpenAI)',
    description: 'One enabled model config, by id or display name.',
    params: OpenAIModelParams,
    responses: { 200: { description: 'The model.', schema: OpenAIModel } },
    errors: { 404: [ERRORS.modelNotFound] },
  },
  openaiCreateChatCompletion: {
    method: 'POST',
    path: '/openai/v1/chat/completions',
    tag: 'openai',
    auth: 'member',
    startsTurn: true,
    summary: 'Create a chat completion (OpenAI)',
    description:
      'Stateless: the messages run as one chatq turn in a chat of their own, kept for usage accounting and left ' +
      'out of chat lists. `stream: true` answers `chat.completion.chunk` events ending in `data: [DONE]` ' +
      '(with `usage` when `stream_options.include_usage` is set). Function `tools` are run by the caller: the ' +
      'answer carries `tool_calls` and the next request sends the `tool` messages. `temperature`, `top_p`, ' +
      '`max_tokens` / `max_completion_tokens`, `stop`, `seed` and `n: 1` are honoured; other parameters are a 400.',
    body: ChatCompletionBody,
    responses: {
      200: {
        description: 'The completion; with `stream: true`, a `text/event-stream` of `chat.completion.chunk` objects.',
        schema: ChatCompletion,
      },
    },
    errors: {
      400: [ERRORS.invalidModelConfig],
      402: [ERRORS.spendLimitReached],
      404: [ERRORS.modelNotFound],
      502: [ERRORS.modelCallFailed],
    },
  },
  openaiCreateResponse: {
    method: 'POST',
    path: '/openai/v1/responses',
    tag: 'openai',
    auth: 'member',
    startsTurn: true,
    summary: 'Create a response (OpenAI)',
    description:
      'A response is a chatq turn. Without `previous_response_id` or `conversation` a new chat starts (with ' +
      '`instructions` as its system prompt); `previous_response_id` continues that response’s chat (from an ' +
      'earlier response: a branch, like an edit); `conversation` appends to that chat. `stream: true` emits the ' +
      'Responses event stream; `background: true` answers at once with `status: "queued"`; `store: false` ' +
      'deletes the chat once the response completes.',
    body: CreateResponseBody,
    responses: {
      200: {
        description: 'The response; with `stream: true`, a `text/event-stream` of Responses events.',
        schema: OpenAIResponse,
      },
    },
    errors: {
      400: [ERRORS.unsupportedInput, ERRORS.invalidModelConfig, ERRORS.chatArchived, ERRORS.unknownToolCall],
      402: [ERRORS.spendLimitReached],
      404: [ERRORS.modelNotFound, ERRORS.responseNotFound, ERRORS.conversationNotFound],
      409: [ERRORS.turnNotWaitingOutputs, ERRORS.responseInProgress],
    },
  },
  openaiGetResponse: {
    method: 'GET',
    path: '/openai/v1/responses/{response_id}',
    tag: 'openai',
    auth: 'member',
    summary: 'Get a response (OpenAI)',
    description:
      'The response (its turn) as it stands: poll a background response until it is no longer queued or in progress.',
    params: ResponseParams,
    responses: { 200: { description: 'The response.', schema: OpenAIResponse } },
    errors: { 404: [ERRORS.responseNotFound] },
  },
  openaiDeleteResponse: {
    method: 'DELETE',
    path: '/openai/v1/responses/{response_id}',
    tag: 'openai',
    auth: 'member',
    summary: 'Delete a response (OpenAI)',
    description:
      'Deletes the response’s chat with it (a chat holds its responses; in a conversation, that is the conversation).',
    params: ResponseParams,
    responses: { 200: { description: 'Deleted.', schema: DeletedResponse } },
    errors: { 404: [ERRORS.responseNotFound] },
  },
  openaiCancelResponse: {
    method: 'POST',
    path: '/openai/v1/responses/{response_id}/cancel',
    tag: 'openai',
    auth: 'member',
    summary: 'Cancel a background response (OpenAI)',
    description: 'Interrupts the response’s turn, keeping its partial text; answers the response, `cancelled`.',
    params: ResponseParams,
    responses: { 200: { description: 'The cancelled response.', schema: OpenAIResponse } },
    errors: { 404: [ERRORS.responseNotFound], 409: [ERRORS.responseNotCancellable] },
  },
  openaiListResponseInputItems: {
    method: 'GET',
    path: '/openai/v1/responses/{response_id}/input_items',
    tag: 'openai',
    auth: 'member',
    summary: 'List a response’s input items (OpenAI)',
    description: 'The conversation the response answered: its chat’s messages before its reply.',
    params: ResponseParams,
    query: ItemListQuery,
    responses: { 200: { description: 'A page of items.', schema: ItemList } },
    errors: { 404: [ERRORS.responseNotFound] },
  },
  openaiCreateConversation: {
    method: 'POST',
    path: '/openai/v1/conversations',
    tag: 'openai',
    auth: 'member',
    summary: 'Create a conversation (OpenAI)',
    description: 'A new, empty chatq chat (on the default model), which responses can then append to.',
    body: CreateConversationBody,
    responses: { 200: { description: 'The conversation.', schema: Conversation } },
    errors: { 400: [ERRORS.noDefaultModel] },
  },
  openaiGetConversation: {
    method: 'GET',
    path: '/openai/v1/conversations/{conversation_id}',
    tag: 'openai',
    auth: 'member',
    summary: 'Get a conversation (OpenAI)',
    description: 'The conversation: the chat with id `conv_<chat id without dashes>`, also under `/api/v1/chats`.',
    params: ConversationParams,
    responses: { 200: { description: 'The conversation.', schema: Conversation } },
    errors: { 404: [ERRORS.conversationNotFound] },
  },
  openaiDeleteConversation: {
    method: 'DELETE',
    path: '/openai/v1/conversations/{conversation_id}',
    tag: 'openai',
    auth: 'member',
    summary: 'Delete a conversation (OpenAI)',
    description: 'Deletes the chat, its messages and turns; a running turn is stopped.',
    params: ConversationParams,
    responses: { 200: { description: 'Deleted.', schema: DeletedConversation } },
    errors: { 404: [ERRORS.conversationNotFound] },
  },
  openaiListConversationItems: {
    method: 'GET',
    path: '/openai/v1/conversations/{conversation_id}/items',
    tag: 'openai',
    auth: 'member',
    summary: 'List a conversation’s items (OpenAI)',
    description: 'The chat’s messages as items: user and assistant messages, function calls and their outputs.',
    params: ConversationParams,
    query: ItemListQuery,
    responses: { 200: { description: 'A page of items.', schema: ItemList } },
    errors: { 404: [ERRORS.conversationNotFound] },
  },
});
