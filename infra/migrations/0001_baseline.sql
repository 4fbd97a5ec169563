-- chatq schema baseline: identities, providers and model configs, chats, messages, turns, the queue
-- of messages sent while a turn runs, and idempotency keys. It is the squash of the migrations
-- 0001_core .. 0005_ops that earlier releases shipped; a database migrated by them is recorded as at
-- this baseline without running it (libs/platform/src/migrate.ts). Columns those migrations added
-- later sit at the end of their tables, where `alter table ... add column` put them, so both kinds of
-- install have the same row types.
--
-- Migrations hold schema only (tables, indexes, constraints, types). The chatq_* functions that
-- carry the rules of a chat live in infra/sql/functions/ and are re-applied on every start.

-- Time-ordered ids (RFC 9562 version 7): the first 48 bits are Unix milliseconds, so primary-key
-- order is creation order and B-tree inserts stay append-mostly. The one chatq_* function that is
-- schema: column defaults depend on it, so it is created here, changed only by a migration, and left
-- alone when the function files are re-applied.
create function chatq_uuidv7() returns uuid
language sql volatile parallel safe as $$
  select encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
          placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
          from 1 for 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;

create table users (
  id uuid primary key default chatq_uuidv7(),
  username text not null unique,
  role text not null check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  -- Admin overrides of the server-wide limits; null means "use the server default".
  requests_per_minute integer check (requests_per_minute > 0),
  turns_per_minute integer check (turns_per_minute > 0)
);

create table api_tokens (
  id uuid primary key default chatq_uuidv7(),
  user_id uuid not null references users (id) on delete cascade,
  -- sha256 of the token; the token itself is shown once and never stored.
  token_hash bytea not null unique,
  created_at timestamptz not null default now()
);
create index api_tokens_user_idx on api_tokens (user_id);

create table providers (
  id uuid primary key default chatq_uuidv7(),
  name text not null,
  kind text not null check (kind in ('mock', 'openai', 'anthropic', 'google', 'openai-compatible')),
  base_url text,
  -- AES-256-GCM sealed with CHATQ_SECRET_KEY; only workers open it, for the call.
  api_key bytea,
  options jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index providers_name_live_idx on providers (name) where deleted_at is null;

create table model_configs (
  id uuid primary key default chatq_uuidv7(),
  provider_id uuid not null references providers (id),
  model text not null,
  display_name text,
  enabled boolean not null default true,
  is_default boolean not null default false,
  -- Estimated tokens a call may use, reply included: the claim sends only the history that fits.
  context_limit integer,
  max_output_tokens integer,
  -- US dollars per million tokens; tokens x price is then microdollars.
  input_price_per_mtok numeric(14, 6),
  output_price_per_mtok numeric(14, 6),
  options jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index model_configs_one_default_idx on model_configs ((true))
  where is_default and deleted_at is null;

create table chats (
  id uuid primary key default chatq_uuidv7(),
  owner_id uuid not null references users (id) on delete cascade,
  title text not null,
  status text not null default 'idle' check (status in ('idle', 'pending', 'running', 'error')),
  last_model_config_id uuid not null references model_configs (id),
  last_error text,
  -- Bumped by every send and edit; a turn may only write while the chat is at its generation.
  generation bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- An archived chat refuses new messages and edits.
  archived boolean not null default false
);
create index chats_owner_idx on chats (owner_id, id desc);

create table messages (
  id uuid primary key default chatq_uuidv7(),
  -- Total order within a chat; ids made in the same millisecond are not ordered.
  seq bigint generated always as identity,
  chat_id uuid not null references chats (id) on delete cascade,
  role text not null check (role in ('user', 'assistant')),
  content text not null,
  model_config_id uuid references model_configs (id),
  turn_id uuid,
  usage jsonb,
  cost_micros bigint,
  created_at timestamptz not null default now(),
  deleted_at timestamptz,
  -- An assistant reply cut short by an interrupt: the text clients had been streamed.
  interrupted boolean not null default false
);
-- The conversation in order; the claim walks it backwards, newest first, to fit the context.
create index messages_chat_live_idx on messages (chat_id, seq) where deleted_at is null;
-- Usage reports sum assistant replies per chat over a time range (GET .../usage); edited-away
-- replies count too, since their tokens were spent, so this index is not limited to live rows.
create index messages_usage_idx on messages (chat_id, created_at) where role = 'assistant' and usage is not null;

create table turns (
  id uuid primary key default chatq_uuidv7(),
  chat_id uuid not null references chats (id) on delete cascade,
  generation bigint not null,
  status text not null default 'queued'
    check (status in ('queued', 'running', 'completed', 'failed', 'superseded', 'cancelled')),
  -- The model the turn runs on: the chat's model when queued, its current model once claimed.
  model_config_id uuid not null references model_configs (id),
  user_message_id uuid,
  error text,
  attempts integer not null default 0,
  -- Fences a turn to the worker that claimed it last; a stale claimer cannot complete it.
  claim_id uuid,
  -- The turn row is the job outbox: the relay re-enqueues queued turns it has not seen lately.
  relayed_at timestamptz,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
-- A chat never has two live turns. The predicate spells out chatq_turn_is_live
-- (infra/sql/functions/turn_is_live.sql) instead of calling it: an index on a function depends on
-- it, so re-applying the function files could not replace it, and editing the function would not
-- rebuild the index. test/db/migrations.test.ts checks that the two lists agree.
create unique index turns_one_live_per_chat_idx on turns (chat_id) where status in ('queued', 'running');
create index turns_outbox_idx on turns (created_at) where status = 'queued';
-- The outbox relay also re-enqueues turns that have been running a while (their job may be gone
-- from Redis); this keeps that scan to the running turns.
create index turns_running_idx on turns (started_at) where status = 'running';

-- Messages sent while a turn was in flight, first in first out. A queued message is not part of
-- the conversation until it is promoted; promotion keeps its id, so clients can follow it from the
-- queue into the history. The functions keep this invariant: a chat with queued messages has a live
-- turn, because each end of a live turn promotes the head of the queue in the same transaction.
create table queued_messages (
  id uuid primary key default chatq_uuidv7(),
  seq bigint generated always as identity,
  chat_id uuid not null references chats (id) on delete cascade,
  content text not null,
  model_config_id uuid not null references model_configs (id),
  created_at timestamptz not null default now()
);
create index queued_messages_chat_idx on queued_messages (chat_id, seq);

-- One row per (caller, Idempotency-Key): written in the transaction of the change it protects, so
-- a committed change always has its record and a rolled-back one never does.
create table idempotency_keys (
  user_id uuid not null references users (id) on delete cascade,
  key text not null,
  -- sha256 of method, path and the validated body: a reuse with other parameters is refused.
  fingerprint bytea not null,
  status smallint not null,
  -- The response body, sealed with CHATQ_SECRET_KEY (it may carry a freshly minted token).
  body bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (user_id, key)
);
create index idempotency_keys_expiry_idx on idempotency_keys (expires_at);
