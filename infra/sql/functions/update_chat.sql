-- PATCH /chats/{id}: changes what `p_patch` names (title, archived, system_prompt, tool_ids,
-- client_tools; a key that is absent is left alone, a null system_prompt clears it). Archived chats
-- may be changed too: this is how they are unarchived. Returns {chat}; refuses chat_not_found, or
-- invalid_tool when tool_ids names a tool or MCP server that is not usable, changing nothing. Called
-- by the API; locks the chat row first, so it orders with sends, edits and claims.
create or replace function chatq_update_chat(p_owner uuid, p_chat uuid, p_patch jsonb) returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_chat chats;
  v_tool_ids uuid[];
begin
  v_chat := chatq_lock_owned_chat(p_owner, p_chat);
  v_refusal := chatq_chat_refusal(v_chat, false);
  if v_refusal is not null then return v_refusal; end if;
  if p_patch ? 'tool_ids' then
    v_tool_ids := array(select jsonb_array_elements_text(p_patch -> 'tool_ids')::uuid);
    if not chatq_usable_tools(v_tool_ids) then
      return chatq_refusal('invalid_tool');
    end if;
  end if;

  update chats
  set title = coalesce(p_patch ->> 'title', title),
      archived = coalesce((p_patch ->> 'archived')::boolean, archived),
      system_prompt = case when p_patch ? 'system_prompt' then p_patch ->> 'system_prompt' else system_prompt end,
      tool_ids = case when p_patch ? 'tool_ids' then v_tool_ids else tool_ids end,
      client_tools = case when p_patch ? 'client_tools' then p_patch -> 'client_tools' else client_tools end,
      updated_at = now()
  where id = p_chat
  returning * into v_chat;
  return jsonb_build_object('chat', to_jsonb(v_chat));
end
$$;
