-- Live control of turns: interrupts (the partial reply is kept, marked `interrupted`) and a FIFO of
-- messages sent while a turn was in flight. A queued message is not part of the conversation until
-- it is promoted; promotion keeps its id, so clients can follow it from the queue into the history.
-- Invariant kept by every function below: a chat with queued messages has a live (queued or
-- running) turn, because each end of a live turn promotes the head of the queue in the same
-- transaction.

alter table messages add column interrupted boolean not null default false;

create table queued_messages (
  id uuid primary key default chatq_uuidv7(),
  seq bigint generated always as identity,
  chat_id uuid not null references chats (id) on delete cascade,
  content text not null,
  model_config_id uuid not null references model_configs (id),
  created_at timestamptz not null default now()
);
create index queued_messages_chat_idx on queued_messages (chat_id, seq);

-- The one way a turn starts: supersedes the live turn (if any), records the user message (under
-- `p_message_id` when a queued message is promoted) and queues the turn that will answer it.
-- Reports the superseded turn so the caller can abort its provider call. Caller holds the chat lock.
create function chatq_begin_turn(p_chat uuid, p_message_id uuid, p_content text, p_model uuid) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_message messages;
  v_turn turns;
  v_superseded uuid;
begin
  update turns set status = 'superseded', finished_at = now()
  where chat_id = p_chat and status in ('queued', 'running')
  returning id into v_superseded;

  insert into messages (id, chat_id, role, content, model_config_id)
  values (coalesce(p_message_id, chatq_uuidv7()), p_chat, 'user', p_content, p_model)
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

  return jsonb_build_object(
    'chat', to_jsonb(v_chat), 'message', to_jsonb(v_message), 'turn', to_jsonb(v_turn),
    'superseded_turn_id', v_superseded);
end
$$;

create or replace function chatq_start_turn(p_chat uuid, p_content text, p_model uuid) returns jsonb
language sql as $$
  select chatq_begin_turn(p_chat, null, p_content, p_model)
$$;

-- After a live turn ended: starts the head of the queue, or leaves the chat in `p_rest_status`.
-- Returns {chat, next?: {message, turn}}. Caller holds the chat lock.
create function chatq_after_turn(p_chat uuid, p_rest_status text, p_error text) returns jsonb
language plpgsql as $$
declare
  v_head queued_messages;
  v_started jsonb;
  v_chat chats;
begin
  delete from queued_messages
  where id = (select id from queued_messages where chat_id = p_chat order by seq limit 1)
  returning * into v_head;
  if found then
    v_started := chatq_begin_turn(p_chat, v_head.id, v_head.content, v_head.model_config_id);
    return jsonb_build_object(
      'chat', v_started -> 'chat',
      'next', jsonb_build_object('message', v_started -> 'message', 'turn', v_started -> 'turn'));
  end if;
  update chats set status = p_rest_status, last_error = p_error, updated_at = now()
  where id = p_chat
  returning * into v_chat;
  return jsonb_build_object('chat', to_jsonb(v_chat));
end
$$;

-- Cancels the chat's live turn. A running one keeps its partial reply as an `interrupted` assistant
-- message: `p_partial` is the text clients were streamed, valid only if `p_seen_turn` is that turn
-- (the API read it from the event log before calling). Returns null when nothing is live, else
-- {turn_id, generation, message?}. Caller holds the chat lock.
create function chatq_cancel_live_turn(p_chat uuid, p_seen_turn uuid, p_partial text) returns jsonb
language plpgsql as $$
declare
  v_turn turns;
  v_message messages;
begin
  update turns set status = 'cancelled', finished_at = now()
  where chat_id = p_chat and status in ('queued', 'running')
  returning * into v_turn;
  if not found then
    return null;
  end if;
  if v_turn.started_at is not null and v_turn.id = p_seen_turn and coalesce(p_partial, '') <> '' then
    insert into messages (chat_id, role, content, model_config_id, turn_id, interrupted)
    values (p_chat, 'assistant', p_partial, v_turn.model_config_id, v_turn.id, true)
    returning * into v_message;
  end if;
  return jsonb_build_object(
    'turn_id', v_turn.id, 'generation', v_turn.generation,
    'message', case when v_message.id is null then null else to_jsonb(v_message) end);
end
$$;

-- The 0001 version refused every send while a turn was live; now the caller chooses. `queue` stores
-- the message for later (at most p_queue_max waiting), `interrupt` cancels the live turn first.
drop function chatq_send_message(uuid, uuid, text, uuid);
create function chatq_send_message(
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

-- POST /chats/{id}/interrupt: cancels the live turn; the queue then moves on as after any turn.
create function chatq_interrupt_chat(p_owner uuid, p_chat uuid, p_seen_turn uuid, p_partial text) returns jsonb
language plpgsql as $$
declare
  v_cancelled jsonb;
begin
  perform 1 from chats where id = p_chat and owner_id = p_owner for update;
  if not found then
    return jsonb_build_object('error', 'chat_not_found');
  end if;
  v_cancelled := chatq_cancel_live_turn(p_chat, p_seen_turn, p_partial);
  if v_cancelled is null then
    return jsonb_build_object('error', 'not_interruptible');
  end if;
  return chatq_after_turn(p_chat, 'idle', null) || jsonb_build_object('cancelled', v_cancelled);
end
$$;

create function chatq_delete_queued_message(p_owner uuid, p_chat uuid, p_id uuid) returns jsonb
language plpgsql as $$
begin
  perform 1 from chats where id = p_chat and owner_id = p_owner for update;
  if not found then
    return jsonb_build_object('error', 'chat_not_found');
  end if;
  delete from queued_messages where id = p_id and chat_id = p_chat;
  if not found then
    return jsonb_build_object('error', 'queued_message_not_found');
  end if;
  return jsonb_build_object('deleted', p_id);
end
$$;

-- As in 0001, plus: the owner (for the owner's status feed) and, when the claim fails the turn,
-- the queue moves on.
create or replace function chatq_claim_turn(p_turn uuid, p_claim uuid, p_max_attempts integer) returns jsonb
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
    return chatq_after_turn(v_chat.id, 'error', v_error)
      || jsonb_build_object('outcome', 'failed', 'error', v_error, 'owner_id', v_chat.owner_id);
  end if;

  update turns
  set status = 'running', attempts = attempts + 1, claim_id = p_claim,
      started_at = coalesce(started_at, now()), model_config_id = v_model
  where id = p_turn
  returning * into v_turn;
  update chats set status = 'running', updated_at = now() where id = v_chat.id and status <> 'running';
  v_chat.status := 'running';

  return jsonb_build_object(
    'outcome', 'claimed',
    'owner_id', v_chat.owner_id,
    'chat', to_jsonb(v_chat),
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

-- As in 0001, plus: the queue moves on, and the chat as it ends up is returned for the event log.
create or replace function chatq_complete_turn(
  p_turn uuid, p_claim uuid, p_content text, p_usage jsonb, p_cost_micros bigint)
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
  return chatq_after_turn(v_chat.id, 'idle', null)
    || jsonb_build_object('outcome', 'completed', 'message', to_jsonb(v_message));
end
$$;

create or replace function chatq_fail_turn(p_turn uuid, p_claim uuid, p_error text) returns jsonb
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
  return chatq_after_turn(v_chat.id, 'error', p_error) || jsonb_build_object('outcome', 'failed');
end
$$;
