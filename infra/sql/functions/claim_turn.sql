-- A worker takes turn `p_turn` under claim `p_claim` (a fresh id per attempt: it fences complete and
-- fail to the latest claimer). Outcomes:
--  * claimed: {owner_id, chat, turn, model, provider, history}, on the chat's *current* model, with
--    the history that fits it (chatq_turn_history);
--  * superseded (a send or edit moved the chat on), finished {status} (already terminal), missing;
--  * failed {error, owner_id, chat, next?}: the model is no longer usable, or the turn ran out of
--    its `p_max_attempts`; the queue then moves on (chatq_fail_live_turn).
-- Called by workers; locks the turn's chat row first.
create or replace function chatq_claim_turn(p_turn uuid, p_claim uuid, p_max_attempts integer) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_turn turns;
  v_model model_configs;
  v_error text;
begin
  v_chat := chatq_lock_turn_chat(p_turn);
  if v_chat.id is null then
    return jsonb_build_object('outcome', 'missing');
  end if;
  select * into v_turn from turns where id = p_turn;
  if not chatq_turn_is_live(v_turn.status) then
    return jsonb_build_object('outcome', 'finished', 'status', v_turn.status);
  end if;
  if chatq_supersede_stale_turn(v_turn, v_chat) then
    return jsonb_build_object('outcome', 'superseded');
  end if;

  select * into v_model from model_configs where id = chatq_usable_model(v_chat.last_model_config_id);
  if v_model.id is null then
    v_error := 'model config is disabled or deleted';
  elsif v_turn.attempts >= p_max_attempts then
    v_error := format('turn abandoned after %s attempts (its worker stopped or timed out each time)', v_turn.attempts);
  end if;
  if v_error is not null then
    return chatq_fail_live_turn(p_turn, v_chat.id, v_error)
      || jsonb_build_object('outcome', 'failed', 'error', v_error, 'owner_id', v_chat.owner_id);
  end if;

  update turns
  set status = 'running', attempts = attempts + 1, claim_id = p_claim,
      started_at = coalesce(started_at, now()), model_config_id = v_model.id
  where id = p_turn
  returning * into v_turn;
  update chats set status = 'running', updated_at = now() where id = v_chat.id and status <> 'running';
  v_chat.status := 'running';

  return jsonb_build_object(
    'outcome', 'claimed',
    'owner_id', v_chat.owner_id,
    'chat', to_jsonb(v_chat),
    'turn', to_jsonb(v_turn),
    'model', to_jsonb(v_model),
    'provider', (
      select jsonb_build_object(
        'id', p.id, 'kind', p.kind, 'base_url', p.base_url, 'options', p.options,
        'api_key', encode(p.api_key, 'base64'), 'secret_headers', encode(p.secret_headers, 'base64'))
      from providers p
      where p.id = v_model.provider_id),
    'history', chatq_turn_history(v_chat.id, v_model.context_limit, v_model.max_output_tokens));
end
$$;
