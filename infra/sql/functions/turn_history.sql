-- The history a claimed turn sends to its model: the newest live messages of the chat that fit the
-- model's context. Called by chatq_claim_turn, under its chat lock; takes no lock of its own.

-- Rough token count of a text: one token per four characters, as services/worker/src/llm/tokens.ts
-- estimates it (there JavaScript counts UTF-16 units, so a character outside the BMP, such as most
-- emoji, counts twice there and once here; the estimate is rough either way).
create or replace function chatq_approx_tokens(p_text text) returns integer
language sql immutable parallel safe as $$
  select ceil(length(p_text) / 4.0)::integer
$$;

-- Walks the chat's live messages newest first through messages_chat_live_idx and stops as soon as
-- the budget is spent, so a claim costs what the model can read, not what the chat holds:
--  * budget = p_context_limit - coalesce(p_max_output_tokens, 0), the room kept for the reply;
--    each message costs chatq_approx_tokens(content) + 4 (framing providers add per message);
--  * the newest user message and everything after it are always kept, even alone over budget, so
--    the provider reports the overflow rather than the model answering an older question;
--  * older messages are kept while the next one still fits (the walk never skips one);
--  * the result starts with a user message, as Anthropic and Google require (leading assistant
--    messages left by the cut are dropped). A history with no user message is left as it is.
-- A null p_context_limit keeps everything, up to a safety cap of the 2,000 newest messages so that
-- no chat, however long, makes a claim unbounded; a model that reads more sets context_limit.
-- Returns [{role, content}], oldest first.
create or replace function chatq_turn_history(p_chat uuid, p_context_limit integer, p_max_output_tokens integer)
returns jsonb
language plpgsql stable as $$
declare
  v_budget bigint := p_context_limit::bigint - coalesce(p_max_output_tokens, 0);
  v_seen_user boolean := false;
  v_cost bigint;
  v_from_seq bigint; -- oldest message kept so far
  v_from_user_seq bigint; -- oldest user message kept so far: where the history starts
  m record;
begin
  for m in
    select seq, role, content from messages
    where chat_id = p_chat and deleted_at is null
    order by seq desc
    limit 2000
  loop
    if p_context_limit is not null then
      v_cost := chatq_approx_tokens(m.content) + 4;
      exit when v_seen_user and v_cost > v_budget;
      v_budget := v_budget - v_cost;
    end if;
    v_from_seq := m.seq;
    if m.role = 'user' then
      v_seen_user := true;
      v_from_user_seq := m.seq;
    end if;
  end loop;

  return coalesce((
    select jsonb_agg(jsonb_build_object('role', role, 'content', content) order by seq)
    from messages
    where chat_id = p_chat and deleted_at is null and seq >= coalesce(v_from_user_seq, v_from_seq)),
    '[]'::jsonb);
end
$$;
