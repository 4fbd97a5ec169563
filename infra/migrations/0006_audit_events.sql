-- Governance (issue 14): the audit log, written by the API in the transaction of every admin change,
-- token minted or revoked and refused admin request (services/api/src/domain/audit.ts); and the index
-- usage reports walk.

-- Append-only. `actor_id` is not a foreign key on purpose: an event outlives whatever it names, and
-- a cascade would have to update or delete events, which the guard below refuses. `target_id` is
-- text: entity ids are uuids, a refused request names its route (`GET /api/v1/audit-events`).
-- `changes` holds before/after values with secrets already replaced by "[sealed]".
create table audit_events (
  id uuid primary key default chatq_uuidv7(),
  -- The clock, not the transaction's start (now()), so `at` follows `id`, the list's order.
  at timestamptz not null default clock_timestamp(),
  actor_id uuid,
  action text not null check (action ~ '^[a-z_]+\.[a-z_]+$'),
  target_type text not null,
  target_id text,
  request_id text,
  ip text,
  changes jsonb not null default '{}'
);
-- The list's filters, each walking newest first (by id, a UUIDv7) within its key.
create index audit_events_at_idx on audit_events (at);
create index audit_events_action_idx on audit_events (action, id);
create index audit_events_actor_idx on audit_events (actor_id, id);
create index audit_events_target_idx on audit_events (target_type, target_id, id);

-- The guard: UPDATE and TRUNCATE are always refused. DELETE is allowed only for events older than
-- the cutoff of an `audit.prune` event inserted earlier in the same top-level transaction (its xmin
-- is the transaction's id): `npm run audit:prune` writes that event, then deletes. App SQL never
-- writes `audit.prune`, so no ordinary statement can delete an event, and no event leaves without a
-- trace. A prune event cannot delete itself (its `at` is not before its own cutoff). Checked once per
-- statement over the deleted rows (a transition table), not per row. Schema, not a rule in
-- infra/sql/functions: the triggers depend on it (as column defaults depend on chatq_uuidv7).
create function chatq_audit_events_guard() returns trigger
language plpgsql as $$
declare
  cutoff timestamptz;
begin
  if tg_op = 'DELETE' then
    select max((p.changes ->> 'before')::timestamptz) into cutoff
    from audit_events p
    where p.action = 'audit.prune' and p.xmin = pg_current_xact_id()::xid;
    if cutoff is not null and not exists (select 1 from gone where gone.at >= cutoff) then
      return null;
    end if;
  end if;
  raise exception 'audit_events is append-only: % refused', tg_op
    using errcode = 'insufficient_privilege',
          hint = 'Old events leave only through npm run audit:prune -- --before <date>.';
end
$$;

create trigger audit_events_no_update before update on audit_events
  for each statement execute function chatq_audit_events_guard();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function chatq_audit_events_guard();
create trigger audit_events_delete_pruned after delete on audit_events
  referencing old table as gone
  for each statement execute function chatq_audit_events_guard();

-- Usage reports (GET /api/v1/usage) sum replies of every chat over a time range: walked by time
-- alone, unlike messages_usage_idx, which serves one chat's or one user's sums.
create index messages_report_idx on messages (created_at) where role = 'assistant' and usage is not null;
