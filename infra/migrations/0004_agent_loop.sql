-- Agents (issue 13), the loop: what a durable, resumable tool loop needs beyond 0003's columns.
-- Schema only; the rules live in infra/sql/functions (tool_loop.sql, tool_answers.sql).

-- A tool message answers one call: `tool_call_id` names it, and at most one result per call of a
-- turn is ever stored, so a worker that retries a step (or an API caller that answers twice) can
-- never store a second one.
alter table messages add column tool_call_id text;
create unique index messages_tool_result_idx on messages (turn_id, tool_call_id) where tool_call_id is not null;

-- `resumes`: how often the turn was queued again after waiting on the caller or an approval; it
-- names the turn's BullMQ job (`turn-<id>` then `turn-<id>-r<n>`), since a finished job keeps its id
-- for a while and would swallow a re-add under the same one. `approved_tool_calls`: the calls of the
-- waiting step the owner approved, which the resumed worker may then run. `resumed_at`: when it was
-- last queued again; its deadline counts from there, not from its first start (a caller may take
-- minutes to answer).
alter table turns
  add column resumes integer not null default 0,
  add column approved_tool_calls text[] not null default '{}',
  add column resumed_at timestamptz;
