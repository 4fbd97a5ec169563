-- POST /chats/{id}/interrupt: cancels the live turn (keeping its partial reply, see
-- chatq_cancel_live_turn), then the queue moves on as after any turn. Returns what
-- chatq_after_turn returns, plus `cancelled`. Refuses chat_not_found, not_interruptible (nothing
-- live). Called by the API; locks the chat row first.
create or replace function chatq_interrupt_chat(p_owner uuid, p_chat uuid, p_seen_turn uuid, p_partial text)
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_chat chats;
  v_cancelled jsonb;
begin
  v_chat := chatq_lock_owned_chat(p_owner, p_chat);
  v_refusal := chatq_chat_refusal(v_chat, false);
  if v_refusal is not null then return v_refusal; end if;
  v_cancelled := chatq_cancel_live_turn(p_chat, p_seen_turn, p_partial);
  if v_cancelled is null then
    return chatq_refusal('not_interruptible');
  end if;
  return chatq_after_turn(p_chat, 'idle', null) || jsonb_build_object('cancelled', v_cancelled);
end
$$;
