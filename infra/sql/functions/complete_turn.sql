-- A worker's reply, the turn's last step: appends it as the assistant message (its text, and its
-- `p_parts` when the step still called tools as `max_steps` ran out) with the step's own usage and
-- cost, counts the step and records why it stopped (its cost replaces its spend reservation:
-- chatq_record_spend), then completes the turn, only if claim
-- `p_claim` still owns a running, current turn (else stale, or superseded). The queue then moves on
-- (chatq_after_turn). Returns {outcome: completed, message, chat, next?}. Called by workers; locks
-- the turn's chat row first.
create or replace function chatq_complete_turn(
  p_turn uuid, p_claim uuid, p_content text, p_usage jsonb, p_cost_micros bigint,
  p_parts jsonb default null, p_finish_reason text default 'stop')
returns jsonb
language plpgsql as $$
declare
  v_fence jsonb;
  v_turn turns;
  v_message messages;
begin
  v_fence := chatq_check_claim(p_turn, p_claim);
  if v_fence is not null then return v_fence; end if;
  update turns
  set status = 'completed', finished_at = now(), steps = steps + 1, finish_reason = p_finish_reason, reserved_micros = 0
  where id = p_turn
  returning * into v_turn;
  perform chatq_record_spend(v_turn.chat_id, p_cost_micros);
  insert into messages (chat_id, role, content, parts, model_config_id, turn_id, usage, cost_micros)
  values (v_turn.chat_id, 'assistant', p_content, p_parts, v_turn.model_config_id, p_turn, p_usage, p_cost_micros)
  returning * into v_message;
  return chatq_after_turn(v_turn.chat_id, 'idle', null)
    || jsonb_build_object('outcome', 'completed', 'message', to_jsonb(v_message));
end
$$;
