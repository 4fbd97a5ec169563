-- What a worker's claim, complete and fail start with. Workers know a turn, not its chat's owner.

-- Locks the chat of turn `p_turn` and returns it; null when the turn (or its chat) is gone. The
-- turn row itself is read after this returns, under the chat lock, so it is current.
create or replace function chatq_lock_turn_chat(p_turn uuid) returns chats
language sql as $$
  select * from chats where id = (select chat_id from turns where id = p_turn) for update
$$;

-- A send or edit moved the chat past the generation of `p_turn`: marks the turn superseded and
-- returns true, so it never writes. The caller holds the chat lock (chatq_lock_turn_chat).
create or replace function chatq_supersede_stale_turn(p_turn turns, p_chat chats) returns boolean
language plpgsql as $$
begin
  if p_turn.generation = p_chat.generation then
    return false;
  end if;
  update turns set status = 'superseded', finished_at = now() where id = p_turn.id;
  return true;
end
$$;
