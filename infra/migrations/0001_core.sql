-- chatq core schema: identities, providers and model configs, chats, messages and turns.
-- State transitions of a chat live in the chatq_* functions below. Each runs as one round trip
-- and starts by locking the chat row, so every later statement in it reads a fresh snapshot taken
-- after the lock: concurrent sends, edits and workers serialise per chat, never per table.

-- Time-ordered ids (RFC 9562 version 7): the first 48 bits are Unix milliseconds, so primary-key
-- order is creation order and B-tree inserts stay append-mostly.
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
  created_at timestamptz not null default now()
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
  updated_at timestamptz not null default now()
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
  deleted_at timestamptz
);
create index messages_chat_live_idx on messages (chat_id, seq) where deleted_at is null;

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
-- A chat never has two live turns.
create unique index turns_one_live_per_chat_idx on turns (chat_id) where status in ('queued', 'running');
create index turns_outbox_idx on turns (created_at) where status = 'queued';

-- A model config a new turn may use: exists, enabled, not deleted, and its provider not deleted.
create function chatq_usable_model(p_id uuid) returns uuid
language sql stable as $$
  select mc.id
  from model_configs mc
  join providers p on p.id = mc.provider_id
  where mc.id = p_id and mc.enabled and mc.deleted_at is null and p.deleted_at is null
$$;

-- Supersedes the chat's live turn (if any), records a user message and queues the turn that will
-- answer it. The caller holds the chat row lock.
create function chatq_start_turn(p_chat uuid, p_content text, p_model uuid) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_message messages;
  v_turn turns;
begin
  update turns set status = 'superseded', finished_at = now()
  where chat_id = p_chat and status in ('queued', 'running');

  insert into messages (chat_id, role, content, model_config_id)
  values (p_chat, 'user', p_content, p_model)
  returning * into v_message;

  update chats
  set generation = generation + 1,
      last_model_config_id = p_model,
      status = 'pending',
      last_error = null,
      updated_at = now()
  where id = p_chat
  returning * into v_chat;

  insert into turns (chat_id, generation, model_config_id, user_message_id)
  values (p_chat, v_chat.generation, p_model, v_message.id)
  returning * into v_turn;

  return jsonb_build_object('chat', to_jsonb(v_chat), 'message', to_jsonb(v_message), 'turn', to_jsonb(v_turn));
end
$$;

create function chatq_create_chat(p_owner uuid, p_title text, p_model uuid, p_content text) returns jsonb
language plpgsql as $$
declare
  v_model uuid;
  v_chat chats;
begin
  if p_model is null then
    select id into v_model from model_configs where is_default and deleted_at is null;
    if v_model is null then
      return jsonb_build_object('error', 'no_default_model');
    end if;
  end if;
  v_model := chatq_usable_model(coalesce(p_model, v_model));
  if v_model is null then
    return jsonb_build_object('error', 'invalid_model');
  end if;

  insert into chats (owner_id, title, last_model_config_id)
  values (p_owner, p_title, v_model)
  returning * into v_chat;

  if p_content is null then
    return jsonb_build_object('chat', to_jsonb(v_chat));
  end if;
  return chatq_start_turn(v_chat.id, p_content, v_model);
end
$$;

create function chatq_send_message(p_owner uuid, p_chat uuid, p_content text, p_model uuid) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_model uuid;
begin
  select * into v_chat from chats where id = p_chat and owner_id = p_owner for update;
  if not found then
    return jsonb_build_object('error', 'chat_not_found');
  end if;
  if exists (select 1 from turns where chat_id = p_chat and status in ('queued', 'running')) then
    return jsonb_build_object('error', 'chat_busy');
  end if;
  v_model := chatq_usable_model(coalesce(p_model, v_chat.last_model_config_id));
  if v_model is null then
    return jsonb_build_object('error', 'invalid_model');
  end if;
  return chatq_start_turn(p_chat, p_content, v_model);
end
$$;

-- Replaces a user message: drops it and everything after it, and starts a turn on the resolved
-- model (the override, else the edited message's own). Supersedes any live turn.
create function chatq_edit_message(p_owner uuid, p_chat uuid, p_message uuid, p_content text, p_model uuid)
returns jsonb
language plpgsql as $$
declare
  v_edited messages;
  v_model uuid;
begin
  perform 1 from chats where id = p_chat and owner_id = p_owner for update;
  if not found then
    return jsonb_build_object('error', 'chat_not_found');
  end if;
  select * into v_edited from messages where id = p_message and chat_id = p_chat and deleted_at is null;
  if not found then
    return jsonb_build_object('error', 'message_not_found');
  end if;
  if v_edited.role <> 'user' then
    return jsonb_build_object('error', 'not_user_message');
  end if;
  v_model := chatq_usable_model(coalesce(p_model, v_edited.model_config_id));
  if v_model is null then
    return jsonb_build_object('error', 'invalid_model');
  end if;

  update messages set deleted_at = now()
  where chat_id = p_chat and deleted_at is null and seq >= v_edited.seq;

  return chatq_start_turn(p_chat, p_content, v_model);
end
$$;

-- A worker takes a turn. Outcomes: claimed (with the chat's *current* model, its provider and the
-- live history), superseded, failed (too many attempts, or the model is no longer usable),
-- finished (already terminal) or missing.
create function chatq_claim_turn(p_turn uuid, p_claim uuid, p_max_attempts integer) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_turn turns;
  v_model uuid;
  v_error text;
begin
  select * into v_chat from chats where id = (select chat_id from turns where id = p_turn) for update;
  if not found then
    return jsonb_build_object('outcome', 'missing');
  end if;
  select * into v_turn from turns where id = p_turn;
  if v_turn.status not in ('queued', 'running') then
    return jsonb_build_object('outcome', 'finished', 'status', v_turn.status);
  end if;
  if v_turn.generation <> v_chat.generation then
    update turns set status = 'superseded', finished_at = now() where id = p_turn;
    return jsonb_build_object('outcome', 'superseded');
  end if;

  v_model := chatq_usable_model(v_chat.last_model_config_id);
  if v_model is null then
    v_error := 'model config is disabled or deleted';
  elsif v_turn.attempts >= p_max_attempts then
    v_error := format('turn abandoned after %s attempts (its worker stopped or timed out each time)', v_turn.attempts);
  end if;
  if v_error is not null then
    update turns set status = 'failed', error = v_error, finished_at = now() where id = p_turn;
    update chats set status = 'error', last_error = v_error, updated_at = now() where id = v_chat.id;
    return jsonb_build_object('outcome', 'failed', 'error', v_error);
  end if;

  update turns
  set status = 'running', attempts = attempts + 1, claim_id = p_claim,
      started_at = coalesce(started_at, now()), model_config_id = v_model
  where id = p_turn
  returning * into v_turn;
  update chats set status = 'running', updated_at = now() where id = v_chat.id and status <> 'running';

  return jsonb_build_object(
    'outcome', 'claimed',
    'turn', to_jsonb(v_turn),
    'model', (select to_jsonb(mc) from model_configs mc where mc.id = v_model),
    'provider', (
      select jsonb_build_object(
        'id', p.id, 'kind', p.kind, 'base_url', p.base_url, 'options', p.options,
        'api_key', encode(p.api_key, 'base64'))
      from providers p join model_configs mc on mc.provider_id = p.id
      where mc.id = v_model),
    'history', coalesce((
      select jsonb_agg(jsonb_build_object('role', m.role, 'content', m.content) order by m.seq)
      from messages m where m.chat_id = v_chat.id and m.deleted_at is null), '[]'::jsonb));
end
$$;

-- Appends the assistant reply and completes the turn, only if this claim still owns a current turn.
create function chatq_complete_turn(p_turn uuid, p_claim uuid, p_content text, p_usage jsonb, p_cost_micros bigint)
returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_turn turns;
  v_message messages;
begin
  select * into v_chat from chats where id = (select chat_id from turns where id = p_turn) for update;
  select * into v_turn from turns where id = p_turn;
  if v_turn.status <> 'running' or v_turn.claim_id is distinct from p_claim then
    return jsonb_build_object('outcome', 'stale', 'status', v_turn.status);
  end if;
  if v_turn.generation <> v_chat.generation then
    update turns set status = 'superseded', finished_at = now() where id = p_turn;
    return jsonb_build_object('outcome', 'superseded');
  end if;

  insert into messages (chat_id, role, content, model_config_id, turn_id, usage, cost_micros)
  values (v_chat.id, 'assistant', p_content, v_turn.model_config_id, p_turn, p_usage, p_cost_micros)
  returning * into v_message;
  update turns set status = 'completed', finished_at = now() where id = p_turn;
  update chats set status = 'idle', updated_at = now() where id = v_chat.id;
  return jsonb_build_object('outcome', 'completed', 'message', to_jsonb(v_message));
end
$$;

-- Fails the turn for good and puts the chat in `error`, only if this claim owns a current turn.
create function chatq_fail_turn(p_turn uuid, p_claim uuid, p_error text) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_turn turns;
begin
  select * into v_chat from chats where id = (select chat_id from turns where id = p_turn) for update;
  select * into v_turn from turns where id = p_turn;
  if v_turn.status not in ('queued', 'running') or (p_claim is not null and v_turn.claim_id is distinct from p_claim) then
    return jsonb_build_object('outcome', 'stale', 'status', v_turn.status);
  end if;
  if v_turn.generation <> v_chat.generation then
    update turns set status = 'superseded', finished_at = now() where id = p_turn;
    return jsonb_build_object('outcome', 'superseded');
  end if;
  update turns set status = 'failed', error = p_error, finished_at = now() where id = p_turn;
  update chats set status = 'error', last_error = p_error, updated_at = now() where id = v_chat.id;
  return jsonb_build_object('outcome', 'failed');
end
$$;
