-- Fails a live turn for good with `p_error` and puts the chat in `error` (or moves the queue on,
-- chatq_fail_live_turn), only if claim `p_claim` owns it; a null `p_claim` fails it whoever claimed it
-- (its job died). Returns {outcome: failed, chat, next?}, else stale or superseded. Called by
-- workers; locks the turn's chat row first.
create or replace function chatq_fail_turn(p_turn uuid, p_claim uuid, p_error text) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_turn turns;
begin
  v_chat := chatq_lock_turn_chat(p_turn);
  select * into v_turn from turns where id = p_turn;
  if not coalesce(chatq_turn_is_live(v_turn.status), false)
     or (p_claim is not null and v_turn.claim_id is distinct from p_claim) then
    return jsonb_build_object('outcome', 'stale', 'status', v_turn.status);
  end if;
  if chatq_supersede_stale_turn(v_turn, v_chat) then
    return jsonb_build_object('outcome', 'superseded');
  end if;
  return chatq_fail_live_turn(p_turn, v_chat.id, p_error) || jsonb_build_object('outcome', 'failed');
end
$$;
