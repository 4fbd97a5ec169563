-- Turn endings. After a live turn ended (completed, failed, cancelled): starts the head of the chat's queue, or
-- leaves the chat in `p_rest_status` with `p_error`. The started turn takes over the message's spend
-- reservation. Returns {chat, next?: {message, turn}}. This is
-- what keeps "a chat with queued messages has a live turn". Called by complete, fail, claim (when it
-- fails the turn) and interrupt; the caller holds the chat lock.
create or replace function chatq_after_turn(p_chat uuid, p_rest_status text, p_error text) returns jsonb
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
    v_started := chatq_begin_turn(
      p_chat, v_head.id, v_head.content, v_head.model_config_id, v_head.reserved_micros, v_head.reserved_by);
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

-- Fails live turn `p_turn` for good with `p_error`; then the queue moves on, or the chat rests in
-- `error` showing it. Returns what chatq_after_turn returns. Called by claim (an unusable model, too
-- many attempts) and fail; the caller holds the chat lock and has checked the turn is its to fail.
create or replace function chatq_fail_live_turn(p_turn uuid, p_chat uuid, p_error text) returns jsonb
language plpgsql as $$
begin
  update turns set status = 'failed', error = p_error, finished_at = now() where id = p_turn;
  return chatq_after_turn(p_chat, 'error', p_error);
end
$$;
