-- A worker takes turn `p_turn` under claim `p_claim` (a fresh id per attempt: it fences complete and
-- fail to the latest claimer). Outcomes:
--  * claimed: {owner_id, chat, turn, model, provider, history, tools, mcp_servers}, on the chat's
--    *current* model, with the history that fits it (chatq_turn_history: a resumed turn's own steps
--    and tool results included) and the chat's usable tools and MCP servers, secrets still sealed;
--  * waiting {status}: the turn waits on the caller or an approval; only their answer queues it
--    again (a stray or relayed job must not run it meanwhile);
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
  if v_turn.status in ('requires_action', 'awaiting_approval') then
    return jsonb_build_object('outcome', 'waiting', 'status', v_turn.status);
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
    'history', chatq_turn_history(v_chat.id, v_model.context_limit, v_model.max_output_tokens),
    -- A tool disabled or deleted since the chat named it is simply not offered.
    'tools', coalesce((
      select jsonb_agg(jsonb_build_object(
        'name', t.name, 'description', t.description, 'input_schema', t.input_schema, 'kind', t.kind,
        'url', t.url, 'signing_secret', encode(t.signing_secret, 'base64'),
        'requires_approval', t.requires_approval, 'timeout_ms', t.timeout_ms) order by t.name)
      from tools t
      where t.id = any (v_chat.tool_ids) and t.enabled and t.deleted_at is null), '[]'::jsonb),
    'mcp_servers', coalesce((
      select jsonb_agg(jsonb_build_object(
        'name', s.name, 'url', s.url, 'secret_headers', encode(s.secret_headers, 'base64'),
        'allowed_tools', s.allowed_tools, 'requires_approval', s.requires_approval) order by s.name)
      from mcp_servers s
      where s.id = any (v_chat.tool_ids) and s.enabled and s.deleted_at is null), '[]'::jsonb));
end
$$;
