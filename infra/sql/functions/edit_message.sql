-- PATCH /chats/{id}/messages/{message}: replaces a user message. Drops it and everything after it,
-- and starts a turn on the resolved model (the override, else the edited message's own),
-- superseding any live turn; the turn holds the spend reservation of its first call (see
-- chatq_send_message). Returns what chatq_begin_turn returns. Refuses chat_not_found,
-- chat_archived, message_not_found, not_user_message, invalid_model, spend_limit, all before writing
-- anything. Called by the API; locks the chat row first.
create or replace function chatq_edit_message(
  p_owner uuid, p_chat uuid, p_message uuid, p_content text, p_model uuid,
  p_spend_default_micros bigint default null, p_spend_default_period text default 'month')
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_chat chats;
  v_edited messages;
  v_model uuid;
  v_reserved bigint;
begin
  v_chat := chatq_lock_owned_chat(p_owner, p_chat);
  v_refusal := chatq_chat_refusal(v_chat, true);
  if v_refusal is not null then return v_refusal; end if;
  select * into v_edited from messages where id = p_message and chat_id = p_chat and deleted_at is null;
  if not found then
    return chatq_refusal('message_not_found');
  end if;
  if v_edited.role <> 'user' then
    return chatq_refusal('not_user_message');
  end if;
  v_model := chatq_usable_model(coalesce(p_model, v_edited.model_config_id));
  if v_model is null then
    return chatq_refusal('invalid_model');
  end if;
  -- The history the new turn reads: what comes before the edited message.
  v_reserved := chatq_reserve_spend(p_owner, v_model, p_chat, v_edited.seq, coalesce(v_chat.system_prompt, '') || p_content,
                                    true, p_spend_default_micros, p_spend_default_period);
  if v_reserved is null then
    return chatq_refusal('spend_limit');
  end if;

  update messages set deleted_at = now()
  where chat_id = p_chat and deleted_at is null and seq >= v_edited.seq;

  return chatq_begin_turn(p_chat, null, p_content, v_model, v_reserved, p_owner);
end
$$;
