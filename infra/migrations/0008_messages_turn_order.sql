-- A response is read back from its turn's messages, oldest first (GET /openai/v1/responses/{id}).
-- Keyed by (turn_id, seq), the index hands them over in that order, so the read needs no sort, and
-- a turn's first and last message (where its reply starts, its chat's branch point) are the ends
-- of its range. Replaces 0007's index on turn_id alone, which served the same lookups.
drop index messages_turn_idx;
create index messages_turn_idx on messages (turn_id, seq) where turn_id is not null;
