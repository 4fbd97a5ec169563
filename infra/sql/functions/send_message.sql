-- POST /chats/{id}/messages: a new user message on the given model (else the chat's last one).
-- With no live turn it starts one. While one is live the caller chooses (`p_busy`): `queue` stores
-- the message for later (at most `p_queue_max` waiting; {chat, queued_message}), `interrupt` cancels
-- the live turn first, keeping its partial reply (see chatq_cancel_live_turn), and starts this one
-- (what chatq_begin_turn returns, plus `cancelled`). Refuses chat_not_found, chat_archived,
-- invalid_model, queue_full. Called by the API; locks the chat row first.
create or replace function chatq_send_message(
  p_owner uuid, p_chat uuid, p_content text, p_model uuid,
  p_busy text, p_queue_max integer, p_seen_turn uuid, p_partial text)
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_chat chats;
  v_model uuid;
  v_cancelled jsonb;
  v_queued queued_messages;
begin
  v_chat := chatq_lock_owned_chat(p_owner, p_chat);
  v_refusal := chatq_chat_refusal(v_chat, true);
  if v_refusal is not null then return v_refusal; end if;
  v_model := chatq_usable_model(coalesce(p_model, v_chat.last_model_config_id));
  if v_model is null then
    return chatq_refusal('invalid_model');
  end if;

  if p_busy = 'interrupt' then
    v_cancelled := chatq_cancel_live_turn(p_chat, p_seen_turn, p_partial);
    return chatq_begin_turn(p_chat, null, p_content, v_model) || jsonb_build_object('cancelled', v_cancelled);
  end if;

  if exists (select 1 from turns where chat_id = p_chat and chatq_turn_is_live(status)) then
    if (select count(*) from queued_messages where chat_id = p_chat) >= p_queue_max then
      return chatq_refusal('queue_full');
    end if;
    insert into queued_messages (chat_id, content, model_config_id)
    values (p_chat, p_content, v_model)
    returning * into v_queued;
    return jsonb_build_object('chat', to_jsonb(v_chat), 'queued_message', to_jsonb(v_queued));
  end if;
  return chatq_begin_turn(p_chat, null, p_content, v_model);
end
$$;
