-- Cancels the chat's live turn. A running one keeps its partial reply as an `interrupted` assistant
-- message: `p_partial` is the text clients were streamed, valid only if `p_seen_turn` is that turn
-- (the API read it from the event log before calling). Returns null when nothing is live, else
-- {turn_id, generation, message?}. Called by send (busy = interrupt) and interrupt; the caller holds
-- the chat lock.
create or replace function chatq_cancel_live_turn(p_chat uuid, p_seen_turn uuid, p_partial text) returns jsonb
language plpgsql as $$
declare
  v_turn turns;
  v_message messages;
begin
  update turns set status = 'cancelled', finished_at = now()
  where chat_id = p_chat and chatq_turn_is_live(status)
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
