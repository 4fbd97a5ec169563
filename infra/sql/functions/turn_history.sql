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
-- no chat, however long, makes a claim unbounded; a model that reads more sets context_limit. With a
-- limit, the budget bounds the walk (every message costs at least 4).
-- Tool calls and results count by the JSON of their `parts` (a tool message's text is empty).
-- Returns [{role, content, parts?, turn_id?}], oldest first: `parts` when the message has them,
-- `turn_id` on messages a turn wrote (the worker tells its own turn's steps from older ones).
create or replace function chatq_turn_history(p_chat uuid, p_context_limit integer, p_max_output_tokens integer)
returns jsonb
language plpgsql stable as $$
declare
  c_batch constant integer := 100;
  c_cap constant integer := 2000;
  v_budget bigint := p_context_limit::bigint - coalesce(p_max_output_tokens, 0);
  v_before bigint := 9223372036854775807; -- where the walk is: the oldest seq read so far
  v_batch integer;
  v_cost bigint;
  v_kept jsonb[] := '{}'; -- newest first
  v_start integer; -- the oldest user message among v_kept: where the history starts
  m record;
begin
  -- In batches, each a short index range scan: one open-ended query would let the planner pick a
  -- sequential scan and a sort for a chat that holds a large share of the table.
  <<walk>>
  loop
    v_batch := 0;
    for m in
      select seq, role, content, parts, turn_id from messages
      where chat_id = p_chat and deleted_at is null and seq < v_before
      order by seq desc
      limit c_batch
    loop
      v_batch := v_batch + 1;
      v_before := m.seq;
      if p_context_limit is null then
        exit walk when cardinality(v_kept) >= c_cap;
      else
        v_cost := chatq_approx_tokens(coalesce(m.parts::text, m.content)) + 4;
        exit walk when v_start is not null and v_cost > v_budget;
        v_budget := v_budget - v_cost;
      end if;
      v_kept := array_append(v_kept, jsonb_build_object('role', m.role, 'content', m.content)
        || case when m.parts is null then '{}'::jsonb else jsonb_build_object('parts', m.parts) end
        || case when m.turn_id is null then '{}'::jsonb else jsonb_build_object('turn_id', m.turn_id) end);
      if m.role = 'user' then
        v_start := cardinality(v_kept);
      end if;
    end loop;
    exit walk when v_batch < c_batch;
  end loop;

  return coalesce(
    (select jsonb_agg(v_kept[i] order by i desc) from generate_series(1, coalesce(v_start, cardinality(v_kept))) i),
    '[]'::jsonb);
end
$$;
