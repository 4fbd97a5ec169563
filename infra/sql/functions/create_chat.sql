-- POST /chats: creates a chat on the given model (else the default one), with its system prompt,
-- tools (`p_tool_ids`, ids of tools and MCP servers) and client-defined tools (by default none of
-- them), and, with `p_content`, starts its first turn, which holds the spend reservation of its
-- first call (see chatq_send_message). Returns {chat} or what chatq_begin_turn returns; refuses
-- no_default_model, invalid_model, invalid_tool or spend_limit before writing anything. Called by
-- the API. Locks no chat (the chat is new); the owner's row when they have a limit and the model a
-- price.
create or replace function chatq_create_chat(
  p_owner uuid, p_title text, p_model uuid, p_content text,
  p_system_prompt text default null, p_tool_ids uuid[] default '{}', p_client_tools jsonb default '[]',
  p_spend_default_micros bigint default null, p_spend_default_period text default 'month')
returns jsonb
language plpgsql as $$
declare
  v_model uuid;
  v_chat chats;
  v_reserved bigint := 0;
begin
  if p_model is null then
    select id into v_model from model_configs where is_default and deleted_at is null;
    if v_model is null then
      return chatq_refusal('no_default_model');
    end if;
  end if;
  v_model := chatq_usable_model(coalesce(p_model, v_model));
  if v_model is null then
    return chatq_refusal('invalid_model');
  end if;
  if not chatq_usable_tools(p_tool_ids) then
    return chatq_refusal('invalid_tool');
  end if;
  if p_content is not null then
    v_reserved := chatq_reserve_spend(p_owner, v_model, null, null, coalesce(p_system_prompt, '') || p_content,
                                      false, p_spend_default_micros, p_spend_default_period);
    if v_reserved is null then
      return chatq_refusal('spend_limit');
    end if;
  end if;

  insert into chats (owner_id, title, last_model_config_id, system_prompt, tool_ids, client_tools)
  values (p_owner, p_title, v_model, p_system_prompt, p_tool_ids, p_client_tools)
  returning * into v_chat;

  if p_content is null then
    return jsonb_build_object('chat', to_jsonb(v_chat));
  end if;
  return chatq_begin_turn(v_chat.id, null, p_content, v_model, v_reserved, p_owner);
end
$$;
