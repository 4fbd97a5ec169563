import type { ChatqClient } from '@chatq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMcpServer, MCP_SECRET_HEADER, MCP_SECRET_VALUE, startFakeMcp } from '../fakes/mcp.ts';
import { turnReaches } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let client: ChatqClient;
let mcp: FakeMcpServer;
let n = 0;

beforeAll(async () => {
  mcp = await startFakeMcp();
  stack = await startStack();
  client = stack.client;
});
afterAll(async () => {
  await stack.close();
  await mcp.close();
});

/** A chat offering an MCP server (only its `search` tool) whose model makes `calls`. */
async function mcpTurn(calls: (server: string) => { name: string; input: unknown }[], requiresApproval = false) {
  const server = `docs${++n}`;
  const created = await client.createMcpServer({
    body: {
      name: server,
      url: mcp.url,
      secret_headers: { [MCP_SECRET_HEADER]: MCP_SECRET_VALUE },
      allowed_tools: ['search'],
      requires_approval: requiresApproval,
    },
  });
  const modelId = await createMockModel(client, `mcp-model-${n}`, { options: { tool_calls: calls(server) } });
  const { body } = await client.createChat({
    body: { content: 'look it up', model_config_id: modelId, tool_ids: [created.body.mcp_server.id] },
  });
  return { server, chatId: body.chat.id, turnId: body.turn!.id };
}

const messagesOf = async (chatId: string) =>
  (await client.listMessages({ params: { chat_id: chatId }, query: {} })).body.data;

describe('a turn whose model calls an MCP tool', () => {
  it('calls it as <server>__<tool> through the MCP client, with the secret headers, and answers with its result', async () => {
    const { server, chatId, turnId } = await mcpTurn((s) => [{ name: `${s}__search`, input: { query: 'lisbon' } }]);
    expect(await turnReaches(client, chatId, turnId, ['completed', 'failed'])).toMatchObject({
      status: 'completed',
      steps: 2,
    });
    const [, , result, reply] = await messagesOf(chatId);
    expect(result!.parts).toEqual([
      expect.objectContaining({ name: `${server}__search`, output: 'results for lisbon', is_error: false }),
    ]);
    expect(reply!.content).toContain(`${server}__search returned "results for lisbon"`);
  });

  it('never runs a tool the server hides: the model gets an unknown-tool error', async () => {
    const { server, chatId, turnId } = await mcpTurn((s) => [
      { name: `${s}__delete_everything`, input: { confirm: true } },
    ]);
    await turnReaches(client, chatId, turnId, ['completed', 'failed']);
    const part = (await messagesOf(chatId))[2]!.parts![0]!;
    expect(part).toMatchObject({ is_error: true, output: `unknown tool "${server}__delete_everything"` });
  });

  it('waits for approval when the server requires it', async () => {
    const { server, chatId, turnId } = await mcpTurn((s) => [{ name: `${s}__search`, input: { query: 'x' } }], true);
    const waiting = await turnReaches(client, chatId, turnId, ['awaiting_approval', 'completed', 'failed']);
    expect(waiting.pending_tool_calls).toEqual([
      { tool_call_id: expect.any(String), name: `${server}__search`, input: { query: 'x' } },
    ]);
  });
});
