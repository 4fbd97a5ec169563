-- The one way a turn starts: supersedes the chat's live turn (if any), records the user message
-- (under `p_message_id` when a queued message is promoted), bumps the chat's generation and queues
-- the turn that will answer. Returns {chat, message, turn, superseded_turn_id} so the caller can
-- abort the superseded turn's provider call. The turn holds the spend reservation `p_reserved` of
-- user `p_reserved_by` (chatq_reserve_spend; 0 holds none). Called by create, send, edit and
-- chatq_after_turn; the caller holds the chat lock.
create or replace function chatq_begin_turn(
  p_chat uuid, p_message_id uuid, p_content text, p_model uuid,
  p_reserved bigint default 0, p_reserved_by uuid default null)
returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_message messages;
  v_turn turns;
  v_superseded uuid;
begin
  update turns set status = 'superseded', finished_at = now()
  where chat_id = p_chat and chatq_turn_is_live(status)
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

  insert into turns (chat_id, generation, model_config_id, user_message_id, reserved_micros, reserved_by)
  values (p_chat, v_chat.generation, p_model, v_message.id, p_reserved,
          case when p_reserved > 0 then p_reserved_by end)
  returning * into v_turn;

  return jsonb_build_object(
    'chat', to_jsonb(v_chat), 'message', to_jsonb(v_message), 'turn', to_jsonb(v_turn),
    'superseded_turn_id', v_superseded);
end
$$;
