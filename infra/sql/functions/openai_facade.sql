-- The OpenAI-compatible facade's writes (services/api/src/domain/openai.service.ts): the chats its
-- stateless requests run in, and what its turns remember beyond chatq's own.

-- Records on a turn the facade just started (in the same transaction as the send, edit or create
-- that started it): `p_options`, its call settings (temperature, top_p, stop, seed,
-- max_output_tokens), which the worker lays over the model config's; `p_facade`, what the response
-- was asked with (background, store, previous_response_id, conversation), which reading it back
-- answers. Returns the turn; a turn not of the owner's chats is left alone (null).
create or replace function chatq_annotate_turn(p_owner uuid, p_turn uuid, p_options jsonb, p_facade jsonb)
returns jsonb
language sql as $$
  update turns t set options = p_options, facade = p_facade
  from chats c
  where t.id = p_turn and c.id = t.chat_id and c.owner_id = p_owner
  returning to_jsonb(t)
$$;

-- The OpenAI facade's chats: a chat whose conversation is `p_history` ([{role, content, parts?}],
-- oldest first: user, assistant and tool messages as the caller sent them), and a turn that answers
-- it. The history ends with a user message (the turn answers it, as chatq_begin_turn does) or with
-- tool results (the turn goes on from them: it has no user message of its own). `p_hidden` keeps
-- the chat out of chat lists (a stateless chat completion); `p_options` and `p_facade` are the
-- turn's (see chatq_annotate_turn).
-- The turn holds the spend reservation of its first call over the whole history (see
-- chatq_send_message). Returns what chatq_begin_turn returns; refuses invalid_model or spend_limit
-- before writing anything. Called by the API. Locks no chat (the chat is new); the owner's row
-- when they have a limit and the model a price.
create or replace function chatq_create_chat_from_history(
  p_owner uuid, p_title text, p_model uuid, p_system_prompt text, p_client_tools jsonb,
  p_history jsonb, p_hidden boolean, p_options jsonb, p_facade jsonb,
  p_spend_default_micros bigint default null, p_spend_default_period text default 'month')
returns jsonb
language plpgsql as $$
declare
  v_model uuid := chatq_usable_model(p_model);
  v_last jsonb := p_history -> -1;
  v_chat chats;
  v_message messages;
  v_turn turns;
  v_started jsonb;
  v_reserved bigint;
  m jsonb;
begin
  if v_model is null then
    return chatq_refusal('invalid_model');
  end if;
  if v_last is null or v_last ->> 'role' not in ('user', 'tool') then
    raise exception 'chatq_create_chat_from_history: the history must end with a user or tool message';
  end if;
  v_reserved := chatq_reserve_spend(
    p_owner, v_model, null, null,
    coalesce(p_system_prompt, '') || (
      select string_agg(coalesce(h ->> 'content', '') || coalesce((h -> 'parts')::text, ''), '')
      from jsonb_array_elements(p_history) h),
    false, p_spend_default_micros, p_spend_default_period);
  if v_reserved is null then
    return chatq_refusal('spend_limit');
  end if;

  insert into chats (owner_id, title, last_model_config_id, system_prompt, client_tools, hidden)
  values (p_owner, p_title, v_model, p_system_prompt, p_client_tools, p_hidden)
  returning * into v_chat;

  for m in
    select value from jsonb_array_elements(p_history) with ordinality as h(value, n)
    where v_last ->> 'role' = 'tool' or n < jsonb_array_length(p_history)
    order by n
  loop
    insert into messages (chat_id, role, content, parts, model_config_id)
    values (v_chat.id, m ->> 'role', m ->> 'content', m -> 'parts',
            case when m ->> 'role' = 'assistant' then v_model end)
    returning * into v_message;
  end loop;

  if v_last ->> 'role' = 'user' then
    v_started := chatq_begin_turn(v_chat.id, null, v_last ->> 'content', v_model, v_reserved, p_owner);
    return v_started || jsonb_build_object('turn', chatq_annotate_turn(
      p_owner, (v_started -> 'turn' ->> 'id')::uuid, p_options, p_facade));
  end if;

  -- The conversation ends with tool results: the turn answers them, under the last of them.
  update chats set generation = generation + 1, status = 'pending', updated_at = now()
  where id = v_chat.id
  returning * into v_chat;
  insert into turns (chat_id, generation, model_config_id, options, facade, reserved_micros, reserved_by)
  values (v_chat.id, v_chat.generation, v_model, p_options, p_facade, v_reserved,
          case when v_reserved > 0 then p_owner end)
  returning * into v_turn;
  return jsonb_build_object(
    'chat', to_jsonb(v_chat), 'message', to_jsonb(v_message), 'turn', to_jsonb(v_turn),
    'superseded_turn_id', null);
end
$$;
