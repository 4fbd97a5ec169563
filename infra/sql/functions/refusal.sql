-- Why a chat state change was refused: the one list of codes the chatq_* functions may return, as
-- {"error": code}. The API maps each to an HTTP error (services/api/src/domain/chats.service.ts,
-- refusalError); test/db/migrations.test.ts checks every code here has its mapping. No locks.

create or replace function chatq_refusal_codes() returns text[]
language sql immutable parallel safe as $$
  select array[
    'chat_not_found',
    'chat_archived',
    'invalid_model',
    'invalid_tool',
    'no_default_model',
    'message_not_found',
    'not_user_message',
    'queue_full',
    'not_interruptible',
    'queued_message_not_found',
    'turn_not_found',
    'unknown_tool_call',
    'turn_not_waiting_outputs',
    'turn_not_awaiting_approval',
    'spend_limit'
  ]
$$;

-- The refusal result for `p_code`. Raises on a code not in the list, so a typo fails loudly in the
-- first test that reaches it instead of reaching the API as an unknown refusal.
create or replace function chatq_refusal(p_code text) returns jsonb
language plpgsql immutable parallel safe as $$
begin
  if not p_code = any (chatq_refusal_codes()) then
    raise exception 'chatq_refusal: % is not a refusal code (see infra/sql/functions/refusal.sql)', p_code;
  end if;
  return jsonb_build_object('error', p_code);
end
$$;
