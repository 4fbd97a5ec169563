-- A turn is live from the moment it is queued until it ends: queued, running, or waiting on the API
-- caller (requires_action: results of client tools) or on an approval (awaiting_approval). A live
-- turn holds its chat (one live turn per chat), may still write a reply, is superseded by an edit and
-- cancelled by an interrupt, and a chat with queued messages always has one. Every function that asks
-- "is this turn live" or "what is this chat's live turn" says chatq_turn_is_live(status).
--
-- A plain `language sql` expression, immutable and not strict, so the planner inlines it: a query
-- `where chat_id = $1 and chatq_turn_is_live(status)` still matches the partial unique index
-- turns_one_live_per_chat_idx, whose predicate repeats this list (infra/migrations/0003_tools.sql;
-- 0001_baseline.sql says why it cannot call this function). No locks.
create or replace function chatq_turn_is_live(p_status text) returns boolean
language sql immutable parallel safe as $$
  select p_status in ('queued', 'running', 'requires_action', 'awaiting_approval')
$$;
