-- The outbox relay also re-enqueues turns that have been running a while (their job may be gone
-- from Redis); this keeps that scan to the running turns.
create index turns_running_idx on turns (started_at) where status = 'running';
