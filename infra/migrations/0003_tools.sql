-- Agents (issue 13), the data model: tools, MCP servers, what a chat offers the model (its system
-- prompt, tool ids and client-defined tools), model-level prompt and step limit, and the columns
-- the tool loop will fill (message parts, turn steps, the tool calls a turn waits on). Schema only;
-- the rules live in infra/sql/functions.

-- A tool the model may call. `webhook` tools are called by the worker at `url` (signed with the
-- sealed `signing_secret`); `client` tools are run by the API caller, so they have neither. Deleting
-- is soft: chats keep the id in `tool_ids`, and a deleted (or disabled) tool is simply not offered.
create table tools (
  id uuid primary key default chatq_uuidv7(),
  name text not null check (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  description text not null,
  -- A JSON Schema of `type: "object"`: the tool's input as the model must produce it.
  input_schema jsonb not null,
  kind text not null check (kind in ('webhook', 'client')),
  url text,
  -- AES-256-GCM sealed with CHATQ_SECRET_KEY; only workers open it, to sign the call.
  signing_secret bytea,
  requires_approval boolean not null default false,
  timeout_ms integer not null default 30000 check (timeout_ms between 100 and 600000),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  -- The API names this constraint in its 400 (services/api/src/domain/tools.service.ts).
  constraint tools_webhook_fields check ((kind = 'webhook') = (url is not null)
                                         and (kind = 'webhook' or signing_secret is null))
);
create unique index tools_name_live_idx on tools (name) where deleted_at is null;

-- An MCP server (Streamable HTTP) whose tools the model may call, as `<name>__<tool>`.
create table mcp_servers (
  id uuid primary key default chatq_uuidv7(),
  name text not null check (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  url text not null,
  -- The headers sent on every request, as one sealed JSON object {name: value}; only workers open
  -- it. Their names are kept apart, in the clear, so the API can list them without opening it.
  secret_headers bytea,
  secret_header_names text[] not null default '{}',
  -- The server's tools (its own names) the model may see; null: all of them.
  allowed_tools text[],
  requires_approval boolean not null default false,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index mcp_servers_name_live_idx on mcp_servers (name) where deleted_at is null;

-- A model config's own instructions, sent before the chat's, and how many model calls one turn may
-- make before the loop stops it.
alter table model_configs
  add column system_prompt text,
  add column max_steps integer not null default 8 check (max_steps between 1 and 64);

-- What a chat offers the model: its instructions, tools and MCP servers by id (`tool_ids`, checked
-- by chatq_usable_tools when set), and tools the API caller defines and runs itself.
alter table chats
  add column system_prompt text,
  add column tool_ids uuid[] not null default '{}',
  add column client_tools jsonb not null default '[]';
-- A chat waits while its turn waits: for the caller's tool results, or for an approval.
alter table chats drop constraint chats_status_check;
alter table chats add constraint chats_status_check
  check (status in ('idle', 'pending', 'running', 'error', 'requires_action', 'awaiting_approval'));

-- Tool results are messages of their own (role `tool`). `parts` holds a message's structured
-- content (text, tool calls, tool results); null for a message that is only its `content` text.
alter table messages add column parts jsonb;
alter table messages drop constraint messages_role_check;
alter table messages add constraint messages_role_check check (role in ('user', 'assistant', 'tool'));

-- `steps`: model calls the turn made; `finish_reason`: why its last one stopped; while it waits
-- (requires_action, awaiting_approval), `pending_tool_calls` lists [{tool_call_id, name, input}].
alter table turns
  add column steps integer not null default 0,
  add column finish_reason text,
  add column pending_tool_calls jsonb;
alter table turns drop constraint turns_status_check;
alter table turns add constraint turns_status_check
  check (status in ('queued', 'running', 'requires_action', 'awaiting_approval',
                    'completed', 'failed', 'superseded', 'cancelled'));

-- A turn waiting on the caller or on an approval is still live: it holds its chat (a send queues
-- behind it), an edit supersedes it, an interrupt cancels it. The predicate spells out
-- chatq_turn_is_live (infra/sql/functions/turn_is_live.sql), as 0001_baseline.sql explains.
drop index turns_one_live_per_chat_idx;
create unique index turns_one_live_per_chat_idx on turns (chat_id)
  where status in ('queued', 'running', 'requires_action', 'awaiting_approval');
