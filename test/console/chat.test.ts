import type { ChatqClient } from '@chatq/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signedIn } from '../harness/browser.ts';
import { createMockModel } from '../harness/models.ts';
import { ADMIN_TOKEN, eventually, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let client: ChatqClient;
let browser: Browser;
let page: Page;
let problems: string[];
let fast: string;

beforeAll(async () => {
  stack = await startStack();
  client = stack.client;
  // A reply streamed over 2 s, so the test sees it grow; a second model to edit with.
  fast = await createMockModel(
    client,
    'steady',
    { display_name: 'Steady Mock', is_default: true },
    { latency_ms: 2_000 },
  );
  await createMockModel(client, 'other', { display_name: 'Other Mock' });
  browser = await launchBrowser();
  ({ page, problems } = await signedIn(browser, stack.baseUrl, ADMIN_TOKEN));
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const messages = () => page.getByRole('list', { name: 'Messages' });

describe('the web console, in a browser', () => {
  it('is served at / with a strict content security policy and keeps the token out of URLs', async () => {
    const res = await fetch(`${stack.baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(await res.text()).not.toMatch(/<script>|<script type="module">/);
    const script = await fetch(`${stack.baseUrl}/console/console.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(script.headers.get('content-encoding')).toMatch(/^(br|gzip)$/);
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate(() => sessionStorage.getItem('chatq.token'))).toBe(ADMIN_TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('refuses a wrong token with the API message, by keyboard alone', async () => {
    const other = await browser.newPage();
    await other.goto(`${stack.baseUrl}/`);
    // By keyboard: the token field has the focus, Enter signs in.
    await other.getByLabel('API token').waitFor();
    await other.keyboard.type('cq_not_a_valid_token_at_all_0000');
    await other.keyboard.press('Enter');
    await expect.poll(() => other.getByRole('alert').textContent()).toMatch(/^Unauthorized\./);
    await other.close();
  });

  it('creates a chat, sends a message and shows the reply streaming, then from the model it came from', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByLabel('Message', { exact: true }).fill('Hello console');
    await page.getByRole('button', { name: 'Send' }).click();
    // Part of the reply while the turn still runs, in the live block...
    const live = messages().locator('.live .text');
    await eventually(
      async () => ((await live.count()) > 0 && (await live.first().textContent())!.length > 0) || undefined,
      {
        what: 'part of the reply to stream in',
      },
    );
    expect(await page.getByRole('button', { name: 'Stop' }).isVisible()).toBe(true);
    await screenshot(page, 'chat-streaming');
    // A pick made while the reply streams survives the re-renders its events cause.
    await page.getByLabel('Reply model').selectOption({ label: 'Other Mock' });
    // ...then the whole reply, stored, under its model's display name.
    const reply = messages().locator('li.assistant:not(.live)');
    await reply.first().waitFor({ timeout: 15_000 });
    expect(await reply.first().textContent()).toContain('[steady] You said: "Hello console"');
    expect(await reply.first().textContent()).toContain('Steady Mock');
    expect(await page.getByLabel('Reply model').locator('option:checked').textContent()).toBe('Other Mock');
  });

  it('edits a message with another model and shows that model’s reply', async () => {
    await page.getByRole('button', { name: 'Edit' }).first().click();
    const picker = page.getByLabel('Model', { exact: true });
    // The picker starts on the message's own model.
    expect(await picker.inputValue()).toBe(fast);
    await page.getByLabel('Edit message').fill('Hello again');
    await picker.selectOption({ label: 'Other Mock' });
    await screenshot(page, 'chat-edit');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => messages().locator('li.assistant:not(.live)').first().textContent(), { timeout: 15_000 })
      .toContain('[other] You said: "Hello again"');
    expect(await messages().locator('li.assistant').first().textContent()).toContain('Other Mock');
  });

  it('shows a refused edit’s message as the API wrote it', async () => {
    const other = (await client.listModelConfigs({ query: { limit: 100 } })).body.data.find(
      (m) => m.model === 'other',
    )!;
    await client.updateModelConfig({ params: { id: other.id }, body: { enabled: false } });
    try {
      // The picker offers the message's own model, now disabled, as its default; the API refuses it.
      await page.reload();
      await page.getByRole('button', { name: 'Edit' }).first().click();
      expect(await page.getByLabel('Model', { exact: true }).inputValue()).toBe(other.id);
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => page.locator('form.edit [role=alert]').textContent()).toBe('Invalid model config ID.');
      await page.getByRole('button', { name: 'Cancel' }).click();
    } finally {
      await client.updateModelConfig({ params: { id: other.id }, body: { enabled: true } });
    }
  });

  it('queues a message behind a running turn, removes it, and stops the slow reply, keeping what was written', async () => {
    // Five chunks over 10 s: the first arrives after 2 s, the last long after Stop.
    const slow = await createMockModel(client, 'slow', { display_name: 'Slow Mock' }, { latency_ms: 10_000 });
    await page.reload();
    await page.getByLabel('Message', { exact: true }).fill('Take your time');
    await page.getByLabel('Reply model').selectOption(slow);
    await page.getByRole('button', { name: 'Send' }).click();
    await messages().locator('.live .text').filter({ hasText: /\S/ }).waitFor();
    // Sending cleared the text and kept the model.
    expect(await page.getByLabel('Message', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Reply model').locator('option:checked').textContent()).toBe('Slow Mock');
    await page.getByLabel('Message', { exact: true }).fill('And then this');
    await page.getByRole('button', { name: 'Send' }).click();
    const queued = page.getByRole('region', { name: 'Queued messages' });
    await queued.getByText('And then this').waitFor();
    await queued.getByRole('button', { name: 'Remove' }).click();
    await queued.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('status').filter({ hasText: 'idle' }).waitFor({ timeout: 15_000 });
    const stopped = messages().locator('li.assistant').filter({ hasText: 'stopped' });
    await stopped.waitFor();
    expect(await stopped.textContent()).toContain('[slow]');
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);
  });

  it('shows a turn waiting on a client tool plainly', async () => {
    const model = await createMockModel(client, 'asks', {
      display_name: 'Asking Mock',
      options: { tool_calls: [{ name: 'pick_date', input: { earliest: '2026-07-01' } }] },
    });
    const { body } = await client.createChat({
      body: {
        title: 'Trip',
        content: 'when shall we go?',
        model_config_id: model,
        client_tools: [{ name: 'pick_date', input_schema: { type: 'object' } }],
      },
    });
    await page.goto(`${stack.baseUrl}/#/chats/${body.chat.id}`);
    const waiting = page.getByRole('region', { name: 'Waiting on client tools' });
    await waiting.waitFor({ timeout: 15_000 });
    expect(await waiting.textContent()).toContain('pick_date');
    expect(await waiting.textContent()).toContain('{"earliest":"2026-07-01"}');
    expect(await waiting.getByRole('button').count()).toBe(0);
  });

  it('approves a tool call in place and shows its result and the reply that follows', async () => {
    const hook = await import('../fakes/webhook.ts').then((m) => m.startFakeWebhook());
    try {
      hook.answer(() => ({ json: { booked: true } }));
      const tool = await client.createTool({
        body: {
          name: 'book_table',
          description: 'Books a table.',
          input_schema: { type: 'object' },
          kind: 'webhook',
          url: hook.url,
          requires_approval: true,
        },
      });
      const model = await createMockModel(client, 'agent', {
        display_name: 'Agent Mock',
        options: { tool_calls: [{ name: 'book_table', input: { seats: 2 } }] },
      });
      const { body } = await client.createChat({
        body: { title: 'Dinner', content: 'book us a table', model_config_id: model, tool_ids: [tool.body.tool.id] },
      });
      await page.goto(`${stack.baseUrl}/#/chats/${body.chat.id}`);
      const approve = page.getByRole('button', { name: 'Approve' });
      await approve.waitFor({ timeout: 15_000 });
      expect(await page.getByRole('region', { name: 'Approval needed' }).textContent()).toContain('book_table');
      await screenshot(page, 'chat-approval');
      await approve.click();
      await expect
        .poll(() => messages().textContent(), { timeout: 15_000 })
        .toContain('Tools: book_table returned {"booked":true}');
      expect(await messages().textContent()).toContain('{"seats":2}');
      expect(hook.received).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it('lists chats with search, status filter and pages', async () => {
    for (let i = 0; i < 21; i++) await client.createChat({ body: { title: `Bulk ${i}` } });
    await page.goto(`${stack.baseUrl}/#/chats`);
    await page.getByRole('link', { name: 'Bulk 20' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Previous' }).waitFor({ state: 'visible' });
    await expect.poll(() => page.getByRole('link', { name: /^Bulk / }).count()).toBeLessThan(21);
    // Archived chats leave the default list and are read-only.
    await page.getByRole('link', { name: 'Bulk 0', exact: true }).click();
    await page.getByRole('button', { name: 'Archive' }).click();
    await page.getByText('This chat is archived: it is read-only.').waitFor();
    await page.getByRole('link', { name: 'Chats' }).click();
    await page.getByLabel('Archived').selectOption('true');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('.chats li a').allTextContents()).toEqual(['Bulk 0']);
    await page.getByLabel('Archived').selectOption('false');
    await page.getByLabel('Search').fill('dinner');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('.chats li').count()).toBe(1);
    await page.getByLabel('Status').selectOption('error');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No chats.').waitFor();
    await page.setViewportSize({ width: 390, height: 760 });
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('link', { name: 'Bulk 20' }).waitFor();
    await screenshot(page, 'chats-phone');
    await page.setViewportSize({ width: 1000, height: 720 });
    expect(problems).toEqual([]);
  });
});
