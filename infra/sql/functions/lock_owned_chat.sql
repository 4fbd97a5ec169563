-- The opening of every change a user makes to a chat: locks the chat row if `p_owner` owns it and
-- returns it, else returns null (the caller answers chat_not_found, so another user's chat and a
-- missing one look the same). Locking first means every later statement of the caller reads a
-- snapshot taken after the lock: concurrent sends, edits, interrupts and workers serialise per chat.
create or replace function chatq_lock_owned_chat(p_owner uuid, p_chat uuid) returns chats
language sql as $$
  select * from chats where id = p_chat and owner_id = p_owner for update
$$;

-- Why a change may not go on with the chat chatq_lock_owned_chat returned: chat_not_found (a null
-- row), or chat_archived when the change adds messages (`p_adds_messages`); null when it may.
create or replace function chatq_chat_refusal(p_chat chats, p_adds_messages boolean) returns jsonb
language sql stable as $$
  select case
    when p_chat.id is null then chatq_refusal('chat_not_found')
    when p_adds_messages and p_chat.archived then chatq_refusal('chat_archived')
  end
$$;
