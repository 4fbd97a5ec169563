-- POST /chats/{id}/messages: a new user message on the given model (else the chat's last one).
-- With no live turn it starts one. While one is live the caller chooses (`p_busy`): `queue` stores
-- the message for later (at most `p_queue_max` waiting; {chat, queued_message}), `interrupt` cancels
-- the live turn first, keeping its partial reply (see chatq_cancel_live_turn), and starts this one
-- (what chatq_begin_turn returns, plus `cancelled`). The started turn, or the queued message, holds
-- the spend reservation of its first call (chatq_reserve_spend, with the server default limit
-- `p_spend_default_micros` per `p_spend_default_period`). Refuses chat_not_found, chat_archived,
-- invalid_model, queue_full, spend_limit, all before writing anything. Called by the API; locks the
-- chat row first (then the owner's row, when they have a limit and the model a price).
create or replace function chatq_send_message(
  p_owner uuid, p_chat uuid, p_content text, p_model uuid,
  p_busy text, p_queue_max integer, p_seen_turn uuid, p_partial text,
  p_spend_default_micros bigint default null, p_spend_default_period text default 'month')
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_chat chats;
  v_model uuid;
  v_cancelled jsonb;
  v_queued queued_messages;
  v_waits boolean;
  v_reserved bigint;
begin
  v_chat := chatq_lock_owned_chat(p_owner, p_chat);
  v_refusal := chatq_chat_refusal(v_chat, true);
  if v_refusal is not null then return v_refusal; end if;
  v_model := chatq_usable_model(coalesce(p_model, v_chat.last_model_config_id));
  if v_model is null then
    return chatq_refusal('invalid_model');
  end if;

  v_waits := p_busy <> 'interrupt' and exists (select 1 from turns where chat_id = p_chat and chatq_turn_is_live(status));
  if v_waits and (select count(*) from queued_messages where chat_id = p_chat) >= p_queue_max then
    return chatq_refusal('queue_full');
  end if;
  v_reserved := chatq_reserve_spend(p_owner, v_model, p_chat, null, coalesce(v_chat.system_prompt, '') || p_content,
                                    not v_waits, p_spend_default_micros, p_spend_default_period);
  if v_reserved is null then
    return chatq_refusal('spend_limit');
  end if;

  if p_busy = 'interrupt' then
    v_cancelled := chatq_cancel_live_turn(p_chat, p_seen_turn, p_partial);
    return chatq_begin_turn(p_chat, null, p_content, v_model, v_reserved, p_owner)
      || jsonb_build_object('cancelled', v_cancelled);
  end if;

  if v_waits then
    insert into queued_messages (chat_id, content, model_config_id, reserved_micros, reserved_by)
    values (p_chat, p_content, v_model, v_reserved, case when v_reserved > 0 then p_owner end)
    returning * into v_queued;
    return jsonb_build_object('chat', to_jsonb(v_chat), 'queued_message', to_jsonb(v_queued));
  end if;
  return chatq_begin_turn(p_chat, null, p_content, v_model, v_reserved, p_owner);
end
$$;
