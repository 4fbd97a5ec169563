-- DELETE /chats/{id}/queue/{message}: withdraws a message that waits behind the live turn. Returns
-- {deleted}. Refuses chat_not_found, queued_message_not_found (never queued, or already promoted).
-- Called by the API; locks the chat row first, so it orders with the promotion of the queue's head.
create or replace function chatq_delete_queued_message(p_owner uuid, p_chat uuid, p_id uuid) returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_chat chats;
begin
  v_chat := chatq_lock_owned_chat(p_owner, p_chat);
  v_refusal := chatq_chat_refusal(v_chat, false);
  if v_refusal is not null then return v_refusal; end if;
  delete from queued_messages where id = p_id and chat_id = p_chat;
  if not found then
    return chatq_refusal('queued_message_not_found');
  end if;
  return jsonb_build_object('deleted', p_id);
end
$$;
