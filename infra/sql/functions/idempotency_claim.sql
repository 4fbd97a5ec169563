-- Idempotency-Key handling (services/api): returns the key's live record if there is one (a replay
-- takes no lock, so concurrent retries of a finished request all get it). Otherwise takes the key
-- for this transaction, or reports `busy` when another transaction holds it: the first request is
-- still in flight. The second lookup runs after the lock is taken (a new snapshot per statement in
-- plpgsql), so it sees a record committed in between. The lock is a transaction advisory lock on a
-- 64-bit hash of user and key: a collision costs at most a spurious 409. Locks no row.
create or replace function chatq_idempotency_claim(p_user uuid, p_key text) returns jsonb
language plpgsql as $$
declare
  v_row idempotency_keys;
begin
  select * into v_row from idempotency_keys
  where user_id = p_user and key = p_key and expires_at > now();
  if not found then
    if not pg_try_advisory_xact_lock(hashtextextended(p_user::text || ':' || p_key, 0)) then
      return jsonb_build_object('busy', true);
    end if;
    select * into v_row from idempotency_keys
    where user_id = p_user and key = p_key and expires_at > now();
    if not found then
      return jsonb_build_object('busy', false);
    end if;
  end if;
  return jsonb_build_object(
    'busy', false,
    'fingerprint', encode(v_row.fingerprint, 'base64'),
    'status', v_row.status,
    'body', encode(v_row.body, 'base64'));
end
$$;
