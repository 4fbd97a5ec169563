import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { mockReplyText } from '@chatq/worker/llm/mock.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../harness/stack.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = resolve(ROOT, 'examples/client.ts');

/** The first ```ts block of a markdown file that follows `marker`. */
async function codeBlockAfter(file: string, marker: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(text.indexOf(marker)));
  if (!block) throw new Error(`no ts block after "${marker}" in ${file}`);
  return block[1]!;
}

describe('the client example', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('is what the READMEs show, word for word', async () => {
    const example = await readFile(EXAMPLE, 'utf8');
    expect(await codeBlockAfter(resolve(ROOT, 'libs/client/README.md'), '<!-- example: examples/client.ts -->')).toBe(
      example,
    );
  });

  it('runs as written against a live API and prints the whole reply', async () => {
    const member = await stack.memberClient();
    const env = { ...process.env, CHATQ_URL: stack.baseUrl, CHATQ_TOKEN: member.token! };
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=chatq-source', EXAMPLE], {
      cwd: ROOT,
      env,
    });
    const [started, reply, refused] = stdout.trim().split('\n');
    expect(started).toMatch(/^turn [0-9a-f-]{36} started$/);
    const [seeded] = await stack.sql<{ model: string }[]>`select model from model_configs where is_default`;
    expect(reply).toBe(
      `assistant: ${mockReplyText(seeded!.model, [{ role: 'user', content: 'Plan a weekend in Lisbon' }])}`,
    );
    expect(refused).toBe('404 Chat not found.');
  });
});
