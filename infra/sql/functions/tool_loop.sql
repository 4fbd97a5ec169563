-- The worker's side of the agent loop (issue 13): each step of a turn is stored before the next
-- begins, so a worker that dies mid-turn leaves a turn another worker resumes at its first
-- unfinished step. Every function here takes the claim fence and the generation fence first
-- (chatq_check_claim), like complete and fail. Called by workers; each locks the turn's chat first.

-- Locks the chat of `p_turn` and checks that claim `p_claim` still owns the running, current turn:
-- null when it does, else the outcome to return (stale {status}, or superseded, which marks it).
create or replace function chatq_check_claim(p_turn uuid, p_claim uuid) returns jsonb
language plpgsql as $$
declare
  v_chat chats;
  v_turn turns;
begin
  v_chat := chatq_lock_turn_chat(p_turn);
  select * into v_turn from turns where id = p_turn;
  if v_turn.status is distinct from 'running' or v_turn.claim_id is distinct from p_claim then
    return jsonb_build_object('outcome', 'stale', 'status', v_turn.status);
  end if;
  if chatq_supersede_stale_turn(v_turn, v_chat) then
    return jsonb_build_object('outcome', 'superseded');
  end if;
  return null;
end
$$;

-- A model call that asked for tools: its assistant message (`p_content` and `p_parts`, the text and
-- tool_call parts in order) with the step's own usage and cost; `turns.steps` counts it, and the cost
-- replaces the step's spend reservation (chatq_record_spend; the next step reserves anew). Returns
-- {outcome: recorded, message}, else stale or superseded.
create or replace function chatq_record_step(
  p_turn uuid, p_claim uuid, p_content text, p_parts jsonb, p_usage jsonb, p_cost_micros bigint)
returns jsonb
language plpgsql as $$
declare
  v_fence jsonb;
  v_turn turns;
  v_message messages;
begin
  v_fence := chatq_check_claim(p_turn, p_claim);
  if v_fence is not null then return v_fence; end if;
  update turns set steps = steps + 1, finish_reason = 'tool_calls', reserved_micros = 0
  where id = p_turn
  returning * into v_turn;
  perform chatq_record_spend(v_turn.chat_id, p_cost_micros);
  insert into messages (chat_id, role, content, parts, model_config_id, turn_id, usage, cost_micros)
  values (v_turn.chat_id, 'assistant', p_content, p_parts, v_turn.model_config_id, p_turn, p_usage, p_cost_micros)
  returning * into v_message;
  return jsonb_build_object('outcome', 'recorded', 'message', to_jsonb(v_message));
end
$$;

-- Stores the result `p_result` {tool_call_id, name, output, is_error} of a call of turn `p_turn` as
-- a `tool` message, unless that call already has one (messages_tool_result_idx): returns the
-- message stored, or null when the call was answered before. The caller holds the chat lock and has
-- checked the turn may take it.
create or replace function chatq_store_tool_result(p_turn turns, p_result jsonb) returns messages
language plpgsql as $$
declare
  v_message messages;
begin
  insert into messages (chat_id, role, content, parts, model_config_id, turn_id, tool_call_id)
  values (p_turn.chat_id, 'tool', '',
          jsonb_build_array(jsonb_build_object(
            'type', 'tool_result', 'tool_call_id', p_result ->> 'tool_call_id', 'name', p_result ->> 'name',
            'output', p_result -> 'output', 'is_error', coalesce((p_result ->> 'is_error')::boolean, false))),
          p_turn.model_config_id, p_turn.id, p_result ->> 'tool_call_id')
  on conflict (turn_id, tool_call_id) where tool_call_id is not null do nothing
  returning * into v_message;
  return v_message;
end
$$;

-- A worker's tool result (webhook, MCP, or a refusal it made itself). Returns {outcome: recorded,
-- message} (message null: the call already had its result), else stale or superseded.
create or replace function chatq_record_tool_result(p_turn uuid, p_claim uuid, p_result jsonb) returns jsonb
language plpgsql as $$
declare
  v_fence jsonb;
  v_turn turns;
  v_message messages;
begin
  v_fence := chatq_check_claim(p_turn, p_claim);
  if v_fence is not null then return v_fence; end if;
  select * into v_turn from turns where id = p_turn;
  v_message := chatq_store_tool_result(v_turn, p_result);
  return jsonb_build_object(
    'outcome', 'recorded', 'message', case when v_message.id is null then null else to_jsonb(v_message) end);
end
$$;

-- The turn waits: on the caller's results of client tools (`requires_action`) or on the owner's
-- decisions (`awaiting_approval`); `p_pending` lists [{tool_call_id, name, input}]. The chat shows
-- the same status. Nothing runs it until the API queues it again (tool_answers.sql). Returns
-- {outcome: parked, chat, turn}, else stale or superseded.
create or replace function chatq_park_turn(p_turn uuid, p_claim uuid, p_status text, p_pending jsonb) returns jsonb
language plpgsql as $$
declare
  v_fence jsonb;
  v_turn turns;
  v_chat chats;
begin
  if p_status not in ('requires_action', 'awaiting_approval') then
    raise exception 'chatq_park_turn: % is not a waiting status', p_status;
  end if;
  v_fence := chatq_check_claim(p_turn, p_claim);
  if v_fence is not null then return v_fence; end if;
  update turns set status = p_status, pending_tool_calls = p_pending where id = p_turn returning * into v_turn;
  update chats set status = p_status, updated_at = now() where id = v_turn.chat_id returning * into v_chat;
  return jsonb_build_object('outcome', 'parked', 'chat', to_jsonb(v_chat), 'turn', to_jsonb(v_turn));
end
$$;
