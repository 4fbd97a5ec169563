-- The API's side of a waiting turn (issue 13): the caller's results of client tool calls, and the
-- owner's decisions on calls that need approval. Each answer is checked against the turn's
-- `pending_tool_calls`; once none is left the turn is queued again (chatq_resume_turn) and a worker
-- resumes it where it stopped. Called by the API; each locks the chat row first.

-- Waiting turn `p_turn` has all its answers: queued again under a new job id (`resumes`), with its
-- attempts and deadline counted anew (`resumed_at`), since the wait was the caller's, not a
-- worker's. `relayed_at` now: the API enqueues it after commit; the relay only covers a lost add.
-- The caller holds the chat lock.
create or replace function chatq_resume_turn(p_turn uuid) returns turns
language plpgsql as $$
declare
  v_turn turns;
begin
  update turns
  set status = 'queued', pending_tool_calls = null, resumes = resumes + 1, resumed_at = now(),
      attempts = 0, claim_id = null, relayed_at = now()
  where id = p_turn
  returning * into v_turn;
  update chats set status = 'pending', updated_at = now() where id = v_turn.chat_id;
  return v_turn;
end
$$;

-- Locks chat `p_chat` of `p_owner` and reads its turn `p_turn` waiting in `p_status`: returns the
-- turn, or a refusal (chat_not_found, turn_not_found, `p_not_waiting`) as `refusal`.
create or replace function chatq_waiting_turn(
  p_owner uuid, p_chat uuid, p_turn uuid, p_status text, p_not_waiting text, out turn turns, out refusal jsonb)
language plpgsql as $$
declare
  v_chat chats;
begin
  v_chat := chatq_lock_owned_chat(p_owner, p_chat);
  refusal := chatq_chat_refusal(v_chat, false);
  if refusal is not null then return; end if;
  select * into turn from turns where id = p_turn and chat_id = p_chat;
  if turn.id is null then
    refusal := chatq_refusal('turn_not_found');
  elsif turn.status is distinct from p_status then
    refusal := chatq_refusal(p_not_waiting);
  end if;
end
$$;

-- Answers pending calls of `p_turn` with `p_answers` [{tool_call_id, output, is_error, store}]:
-- each leaves the pending list, and those with `store` get their result stored as a tool message
-- (its name from the pending list); an approved call is answered without one, for the resumed
-- worker to run. Any id that is not pending refuses the whole answer first (unknown_tool_call), so
-- nothing is half-applied. When no call is left pending the turn is resumed. Returns {chat, turn,
-- results: [{tool_call_id, name, input, output, is_error}] (those stored), resumed}. The caller
-- holds the chat lock and has checked the turn waits.
create or replace function chatq_answer_pending(p_turn turns, p_answers jsonb) returns jsonb
language plpgsql as $$
declare
  v_pending jsonb := coalesce(p_turn.pending_tool_calls, '[]'::jsonb);
  v_answer jsonb;
  v_call jsonb;
  v_result jsonb;
  v_stored jsonb := '[]'::jsonb;
  v_turn turns;
  v_chat chats;
begin
  if exists (
    select 1 from jsonb_array_elements(p_answers) a
    where not exists (
      select 1 from jsonb_array_elements(v_pending) c where c ->> 'tool_call_id' = a ->> 'tool_call_id')) then
    return chatq_refusal('unknown_tool_call');
  end if;
  for v_answer in select * from jsonb_array_elements(p_answers) loop
    continue when not (v_answer ->> 'store')::boolean;
    select c into v_call from jsonb_array_elements(v_pending) c where c ->> 'tool_call_id' = v_answer ->> 'tool_call_id';
    v_result := jsonb_build_object(
      'tool_call_id', v_call ->> 'tool_call_id', 'name', v_call ->> 'name', 'input', v_call -> 'input',
      'output', v_answer -> 'output', 'is_error', (v_answer ->> 'is_error')::boolean);
    if (chatq_store_tool_result(p_turn, v_result)).id is not null then
      v_stored := v_stored || jsonb_build_array(v_result);
    end if;
  end loop;
  v_pending := coalesce((
    select jsonb_agg(c) from jsonb_array_elements(v_pending) c
    where not exists (
      select 1 from jsonb_array_elements(p_answers) a where a ->> 'tool_call_id' = c ->> 'tool_call_id')), '[]'::jsonb);
  if jsonb_array_length(v_pending) = 0 then
    v_turn := chatq_resume_turn(p_turn.id);
  else
    update turns set pending_tool_calls = v_pending where id = p_turn.id returning * into v_turn;
  end if;
  select * into v_chat from chats where id = p_turn.chat_id;
  return jsonb_build_object(
    'chat', to_jsonb(v_chat), 'turn', to_jsonb(v_turn), 'results', v_stored, 'resumed', v_turn.status = 'queued');
end
$$;

-- POST .../tool-outputs: the caller's results `p_outputs` [{tool_call_id, output, is_error?}] of a
-- turn in requires_action. Refuses chat_not_found, turn_not_found, turn_not_waiting_outputs,
-- unknown_tool_call. Returns what chatq_answer_pending returns.
create or replace function chatq_submit_tool_outputs(p_owner uuid, p_chat uuid, p_turn uuid, p_outputs jsonb)
returns jsonb
language plpgsql as $$
declare
  v_waiting record;
begin
  v_waiting := chatq_waiting_turn(p_owner, p_chat, p_turn, 'requires_action', 'turn_not_waiting_outputs');
  if v_waiting.refusal is not null then return v_waiting.refusal; end if;
  return chatq_answer_pending(v_waiting.turn, (
    select jsonb_agg(jsonb_build_object(
      'tool_call_id', o ->> 'tool_call_id', 'output', coalesce(o -> 'output', 'null'::jsonb),
      'is_error', coalesce((o ->> 'is_error')::boolean, false), 'store', true))
    from jsonb_array_elements(p_outputs) o));
end
$$;

-- POST .../approvals: the owner's `p_decisions` [{tool_call_id, approve, reason?}] on a turn in
-- awaiting_approval. An approved call joins `approved_tool_calls` (the resumed worker runs it); a
-- denied one gets its result now, `denied by the user` (with `: <reason>`), and never runs. Refuses
-- chat_not_found, turn_not_found, turn_not_awaiting_approval, unknown_tool_call. Returns what
-- chatq_answer_pending returns.
create or replace function chatq_decide_approvals(p_owner uuid, p_chat uuid, p_turn uuid, p_decisions jsonb)
returns jsonb
language plpgsql as $$
declare
  v_waiting record;
  v_answer jsonb;
begin
  v_waiting := chatq_waiting_turn(p_owner, p_chat, p_turn, 'awaiting_approval', 'turn_not_awaiting_approval');
  if v_waiting.refusal is not null then return v_waiting.refusal; end if;
  v_answer := chatq_answer_pending(v_waiting.turn, (
    select jsonb_agg(jsonb_build_object(
      'tool_call_id', d ->> 'tool_call_id',
      'output', 'denied by the user' || coalesce(': ' || (d ->> 'reason'), ''),
      'is_error', true,
      'store', not (d ->> 'approve')::boolean))
    from jsonb_array_elements(p_decisions) d));
  if v_answer ? 'error' then return v_answer; end if;
  update turns
  set approved_tool_calls = approved_tool_calls
      || array(select d ->> 'tool_call_id' from jsonb_array_elements(p_decisions) d where (d ->> 'approve')::boolean)
  where id = p_turn;
  return v_answer || jsonb_build_object('turn', (select to_jsonb(t) from turns t where t.id = p_turn));
end
$$;
