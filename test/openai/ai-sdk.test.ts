import { createOpenAI } from '@ai-sdk/openai';
import type { ChatqClient } from '@chatq/client';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledChat } from '../harness/chats.ts';
import { createMockModel } from '../harness/models.ts';
import { startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let member: ChatqClient;
let modelId: string;

beforeAll(async () => {
  stack = await startStack();
  modelId = await createMockModel(stack.client, 'facade-ai-sdk', { display_name: 'Inner Mock' });
  member = await stack.memberClient();
});
afterAll(async () => {
  await stack.close();
});

describe('the AI SDK’s own OpenAI provider pointed at chatq', () => {
  const provider = () => createOpenAI({ baseURL: `${stack.baseUrl}/openai/v1`, apiKey: member.token });

  it('generates text through chat completions', async () => {
    const { text, usage, finishReason } = await generateText({
      model: provider().chat('Inner Mock'),
      system: 'Be terse.',
      prompt: 'hello from the AI SDK',
      temperature: 0.3,
    });
    expect(text).toContain('You said: "hello from the AI SDK"');
    expect(text).toContain('System: "Be terse."');
    expect(finishReason).toBe('stop');
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('streams text through chat completions', async () => {
    const result = streamText({ model: provider().chat(modelId), prompt: 'stream from the AI SDK' });
    const pieces: string[] = [];
    for await (const piece of result.textStream) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toContain('You said: "stream from the AI SDK"');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it('generates text through responses', async () => {
    const { text } = await generateText({ model: provider().responses(modelId), prompt: 'hello responses' });
    expect(text).toContain('You said: "hello responses"');
  });

  it('runs a tool loop: the SDK executes the tool chatq’s model called', async () => {
    const toolModel = await createMockModel(stack.client, 'facade-ai-sdk-tools', {
      options: { tool_calls: [{ name: 'get_time', input: { zone: 'UTC' } }] },
    });
    const calls: unknown[] = [];
    const { text, steps } = await generateText({
      model: provider().chat(toolModel),
      prompt: 'what time is it?',
      tools: {
        get_time: tool({
          description: 'The time in a zone.',
          inputSchema: jsonSchema<{ zone: string }>({ type: 'object', properties: { zone: { type: 'string' } } }),
          execute: async (input) => {
            calls.push(input);
            return '12:00';
          },
        }),
      },
      // Until the model stops calling tools.
      stopWhen: () => false,
      maxRetries: 0,
    });
    expect(calls).toEqual([{ zone: 'UTC' }]);
    expect(steps).toHaveLength(2);
    expect(text).toContain('get_time returned "12:00"');
  });
});

describe('chatq as a provider of another chatq', () => {
  it('answers a native chat through an openai-compatible provider whose base_url is the facade', async () => {
    // The outer model's provider is this chatq's own facade, called with a member's token: the
    // worker's turn calls the facade, whose turn the (same) worker answers with the mock.
    const provider = await stack.client.createProvider({
      body: {
        name: 'chatq-itself',
        kind: 'openai-compatible',
        base_url: `${stack.baseUrl}/openai/v1`,
        api_key: member.token,
      },
    });
    const outer = await stack.client.createModelConfig({
      body: { provider_id: provider.body.provider.id, model: 'Inner Mock', display_name: 'Through the facade' },
    });
    const created = await stack.client.createChat({
      body: { content: 'are you chatq?', model_config_id: outer.body.model_config.id },
    });
    const chat = await settledChat(stack.client, created.body.chat.id);
    expect(chat.status).toBe('idle');
    const messages = await stack.client.listMessages({ params: { chat_id: chat.id }, query: {} });
    const reply = messages.body.data.at(-1)!;
    expect(reply.role).toBe('assistant');
    expect(reply.content).toContain('[facade-ai-sdk] You said: "are you chatq?"');
    expect(reply.usage!.output_tokens).toBeGreaterThan(0);
  });
});
