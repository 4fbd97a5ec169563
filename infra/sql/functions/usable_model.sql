-- A model config a new turn may use: exists, enabled, not deleted, and its provider not deleted.
-- Returns its id, or null. Called by every function that starts or claims a turn. No locks: a model
-- disabled after this check fails the turn at its claim, which checks again.
create or replace function chatq_usable_model(p_id uuid) returns uuid
language sql stable as $$
  select mc.id
  from model_configs mc
  join providers p on p.id = mc.provider_id
  where mc.id = p_id and mc.enabled and mc.deleted_at is null and p.deleted_at is null
$$;
