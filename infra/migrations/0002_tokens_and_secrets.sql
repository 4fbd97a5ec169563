-- Token lifecycle, disabled users, secret provider headers, the secret-key check, and which chat an
-- idempotency record belongs to.

-- An admin can disable a user: every token of theirs then answers 401 until they are enabled again.
alter table users add column disabled boolean not null default false;

-- `prefix` is the start of the token (safe to show, so people can tell their tokens apart); tokens
-- minted before this migration have none. A revoked token stays as a record of who held what.
alter table api_tokens
  add column name text,
  add column prefix text,
  add column expires_at timestamptz,
  add column revoked_at timestamptz,
  -- Written at most once a minute per token (services/api/src/domain/auth.service.ts).
  add column last_used_at timestamptz;
-- A user's unrevoked tokens, newest first: the token list and the count under the limit.
create index api_tokens_user_live_idx on api_tokens (user_id, id) where revoked_at is null;

-- Headers sent on every call to the provider (gateway keys): a JSON object sealed with
-- CHATQ_SECRET_KEY like api_key, and only its names in the clear, for the API to show.
alter table providers
  add column secret_headers bytea,
  add column secret_header_names text[] not null default '{}';

-- `seal("chatq key check")` under the key the first service started with: a service whose
-- CHATQ_SECRET_KEY cannot open it refuses to start (libs/platform/src/key-check.ts). One row.
create table secret_key_check (
  id boolean primary key default true check (id),
  sealed bytea not null,
  created_at timestamptz not null default now()
);

-- The chat a recorded response created or changed: deleting the chat erases the response (it may
-- quote the chat's messages), so a replay answers 404 instead.
alter table idempotency_keys add column chat_id uuid references chats (id) on delete set null;
create index idempotency_keys_chat_idx on idempotency_keys (chat_id) where chat_id is not null;
