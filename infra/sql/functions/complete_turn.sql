-- A worker's reply: appends it as the assistant message and completes the turn, only if claim
-- `p_claim` still owns a running, current turn (else stale, or superseded). The queue then moves on
-- (chatq_after_turn). Returns {outcome: completed, message, chat, next?}. Called by workers; locks
-- the turn's chat row first.
create or replace function chatq_complete_turn(
  p_turn uuid, p_claim uuid, p_content text, p_usage jsonb, p_cost_micros bigint)
returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_turn turns;
  v_message messages;
begin
  v_chat := chatq_lock_turn_chat(p_turn);
  select * into v_turn from turns where id = p_turn;
  if v_turn.status is distinct from 'running' or v_turn.claim_id is distinct from p_claim then
    return jsonb_build_object('outcome', 'stale', 'status', v_turn.status);
  end if;
  if chatq_supersede_stale_turn(v_turn, v_chat) then
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
