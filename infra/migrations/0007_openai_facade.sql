-- The OpenAI-compatible facade (issue 15): what its stateless requests need beyond chats and turns.
-- Schema only; the rules live in infra/sql/functions (create_chat.sql).

-- A chat a stateless chat completion created to run one turn over the history it was sent. It is
-- kept (its replies carry the usage and spend the user is accounted for) but left out of chat
-- lists: the caller never asked for a conversation.
alter table chats add column hidden boolean not null default false;

-- Call settings one turn asked for (temperature, top_p, stop, seed, max_output_tokens), over the
-- provider's and the model config's own; null: none.
alter table turns add column options jsonb;

-- What a Responses request asked for that reading the response back must answer: background,
-- store, previous_response_id, conversation. Null on turns the facade did not start.
alter table turns add column facade jsonb;

-- A response is read back from its turn's messages (GET /openai/v1/responses/{id}).
create index messages_turn_idx on messages (turn_id) where turn_id is not null;
