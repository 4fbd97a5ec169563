-- API for high-volume integrations: archived chats, idempotency keys, per-user rate limits.

alter table chats add column archived boolean not null default false;

-- Admin overrides of the server-wide limits; null means "use the server default".
alter table users
  add column requests_per_minute integer check (requests_per_minute > 0),
  add column turns_per_minute integer check (turns_per_minute > 0);

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

-- Returns the key's live record if there is one (a replay takes no lock, so concurrent retries of
-- a finished request all get it). Otherwise takes the key for this transaction, or reports `busy`
-- when another transaction holds it: the first request is still in flight. The second lookup runs
-- after the lock is taken (a new snapshot per statement in plpgsql), so it sees a record committed
-- in between. The lock is a 64-bit hash of user and key: a collision costs at most a spurious 409.
create function chatq_idempotency_claim(p_user uuid, p_key text) returns jsonb
language plpgsql as $$
declare
  v_row idempotency_keys;
begin
  select * into v_row from idempotency_keys
  where user_id = p_user and key = p_key and expires_at > now();
  if not found then
    if not pg_try_advisory_xact_lock(hashtextextended(p_user::text || ':' || p_key, 0)) then
      return jsonb_build_object('busy', true);
    end if;
    select * into v_row from idempotency_keys
    where user_id = p_user and key = p_key and expires_at > now();
    if not found then
      return jsonb_build_object('busy', false);
    end if;
  end if;
  return jsonb_build_object(
    'busy', false,
    'fingerprint', encode(v_row.fingerprint, 'base64'),
    'status', v_row.status,
    'body', encode(v_row.body, 'base64'));
end
$$;

-- As in 0003, plus: an archived chat refuses new messages.
create or replace function chatq_send_message(
  p_owner uuid, p_chat uuid, p_content text, p_model uuid,
  p_busy text, p_queue_max integer, p_seen_turn uuid, p_partial text)
returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_model uuid;
  v_cancelled jsonb;
  v_queued queued_messages;
begin
  select * into v_chat from chats where id = p_chat and owner_id = p_owner for update;
  if not found then
    return jsonb_build_object('error', 'chat_not_found');
  end if;
  if v_chat.archived then
    return jsonb_build_object('error', 'chat_archived');
  end if;
  v_model := chatq_usable_model(coalesce(p_model, v_chat.last_model_config_id));
  if v_model is null then
    return jsonb_build_object('error', 'invalid_model');
  end if;

  if p_busy = 'interrupt' then
    v_cancelled := chatq_cancel_live_turn(p_chat, p_seen_turn, p_partial);
    return chatq_begin_turn(p_chat, null, p_content, v_model) || jsonb_build_object('cancelled', v_cancelled);
  end if;

  if exists (select 1 from turns where chat_id = p_chat and status in ('queued', 'running')) then
    if (select count(*) from queued_messages where chat_id = p_chat) >= p_queue_max then
      return jsonb_build_object('error', 'queue_full');
    end if;
    insert into queued_messages (chat_id, content, model_config_id)
    values (p_chat, p_content, v_model)
    returning * into v_queued;
    return jsonb_build_object('chat', to_jsonb(v_chat), 'queued_message', to_jsonb(v_queued));
  end if;
  return chatq_begin_turn(p_chat, null, p_content, v_model);
end
$$;

-- As in 0001, plus: an archived chat refuses edits.
create or replace function chatq_edit_message(p_owner uuid, p_chat uuid, p_message uuid, p_content text, p_model uuid)
returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_edited messages;
  v_model uuid;
begin
  select * into v_chat from chats where id = p_chat and owner_id = p_owner for update;
  if not found then
    return jsonb_build_object('error', 'chat_not_found');
  end if;
  if v_chat.archived then
    return jsonb_build_object('error', 'chat_archived');
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
