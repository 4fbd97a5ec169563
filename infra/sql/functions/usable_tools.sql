-- Whether a chat may offer every id of `p_ids`: each must be a tool or an MCP server that exists, is
-- enabled and is not deleted. Called by the functions that set a chat's tool_ids, which refuse
-- `invalid_tool` when it is false. No locks, as chatq_usable_model: a tool disabled or deleted after
-- this check is not offered when the turn runs, which reads the tools again.
create or replace function chatq_usable_tools(p_ids uuid[]) returns boolean
language sql stable as $$
  select not exists (
    select 1 from unnest(p_ids) as wanted(id)
    where not exists (select 1 from tools t where t.id = wanted.id and t.enabled and t.deleted_at is null)
      and not exists (select 1 from mcp_servers s where s.id = wanted.id and s.enabled and s.deleted_at is null))
$$;
