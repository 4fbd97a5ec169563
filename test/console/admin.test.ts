import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signedIn } from '../harness/browser.ts';
import { createMockModel } from '../harness/models.ts';
import { settledChat, startChat } from '../harness/chats.ts';
import { ADMIN_TOKEN, startStack, type TestStack } from '../harness/stack.ts';

let stack: TestStack;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  stack = await startStack();
  // Some usage to report: a priced model and two replies.
  const model = await createMockModel(stack.client, 'priced', {
    display_name: 'Priced Mock',
    is_default: true,
    input_price_per_mtok: 3,
    output_price_per_mtok: 15,
  });
  for (const text of ['one', 'two'])
    await settledChat(stack.client, (await startChat(stack.client, text, model)).chat.id);
  browser = await launchBrowser();
  ({ page, problems } = await signedIn(browser, stack.baseUrl, ADMIN_TOKEN));
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/** Follows a link of the main navigation and waits for its page: the last page's controls are gone. */
async function open(link: string, heading: string): Promise<void> {
  await nav(link).click();
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
}

describe('the admin pages of the web console', () => {
  it('adds a provider and tests it with the provider test button', async () => {
    await open('Providers', 'Providers');
    await page.getByLabel('Name', { exact: true }).fill('console-mock');
    await page.getByLabel('Kind').selectOption('mock');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'console-mock', exact: true }).waitFor();
    // A provider without a model says why it cannot be tested; one with a model answers.
    const outcome = (name: string) => page.getByRole('row').filter({ hasText: name }).locator('output');
    await page.getByRole('button', { name: 'Test provider console-mock' }).click();
    await expect.poll(() => outcome('console-mock').textContent(), { timeout: 15_000 }).toMatch(/^failed: .*model/);
    await page.getByRole('button', { name: 'Test provider mock-priced' }).click();
    await expect.poll(() => outcome('mock-priced').textContent(), { timeout: 15_000 }).toMatch(/^ok in \d+ ms$/);
    await page.getByLabel('Model to test with (optional)').fill('any-model');
    await page.getByRole('button', { name: 'Test provider console-mock' }).click();
    await expect.poll(() => outcome('console-mock').textContent(), { timeout: 15_000 }).toMatch(/^ok in \d+ ms$/);
    await screenshot(page, 'admin-providers');
    // A refused creation shows the API's message: the name is taken.
    await page.getByLabel('Name', { exact: true }).fill('console-mock');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/already|exists|taken/i);
  });

  it('adds a model config on that provider and disables it', async () => {
    await open('Models', 'Model configs');
    // Once the providers have loaded, the picker still goes by its label.
    await page.locator('option', { hasText: 'console-mock' }).waitFor({ state: 'attached' });
    await page.getByLabel('Provider', { exact: true }).selectOption({ label: 'console-mock' });
    await page.getByLabel('Model', { exact: true }).fill('console-model');
    await page.getByLabel('Display name').fill('Console Model');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'Console Model' }).waitFor();
    await page.getByRole('button', { name: 'Disable console-model' }).click();
    await expect
      .poll(
        async () =>
          (await stack.client.listModelConfigs({ query: { limit: 100 } })).body.data.find(
            (m) => m.model === 'console-model',
          )?.enabled,
      )
      .toBe(false);
  });

  it('adds a webhook tool and lists tools and MCP servers', async () => {
    await open('Tools', 'Tools and MCP servers');
    await page.getByLabel('Tool name').fill('get_weather');
    await page.getByLabel('Description').fill('The weather in a city.');
    await page.getByLabel('Webhook URL').fill('https://tools.example.com/weather');
    await page.getByLabel('Requires approval').check();
    await page.getByRole('button', { name: 'Create' }).first().click();
    await page.getByRole('cell', { name: 'get_weather' }).waitFor();
    expect(await page.getByRole('table', { name: 'MCP servers' }).isVisible()).toBe(true);
  });

  it('adds a user, mints a token shown once that signs in, and revokes it', async () => {
    await open('Users', 'Users and tokens');
    await page.getByLabel('Username').fill('ana');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Tokens of ana' }).click();
    await page.getByLabel('Token name').fill('laptop');
    await page.getByRole('button', { name: 'Create' }).nth(1).click();
    const token = (await page.locator('code.secret').textContent())!;
    expect(token.length).toBeGreaterThan(16);
    expect((await stack.client.as(token).getMe()).body.user.username).toBe('ana');
    await page.getByRole('cell', { name: 'laptop' }).waitFor();
    await screenshot(page, 'admin-users');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
  });

  it('shows usage per day as a chart and per user', async () => {
    await open('Usage', 'Usage');
    const byUser = page.getByRole('table', { name: 'Usage by user' });
    await byUser.getByRole('cell', { name: 'admin' }).waitFor();
    // Two turns, priced.
    const adminRow = byUser.getByRole('row').filter({ hasText: 'admin' }).getByRole('cell');
    expect(await adminRow.nth(1).textContent()).toBe('2');
    expect(await adminRow.nth(3).textContent()).toMatch(/^\$0\.\d+$/);
    const today = new Date().toISOString().slice(0, 10);
    await page.getByRole('table', { name: 'Usage by day' }).getByRole('cell', { name: today }).waitFor();
    // A bar a day over the last 30, only today's with a height.
    const bars = page.locator('figure.chart rect.bar');
    expect(await bars.count()).toBe(30);
    expect(await bars.last().getAttribute('height')).toBe('120');
    expect(await bars.first().getAttribute('height')).toBe('0');
    await screenshot(page, 'admin-usage');
  });

  it('sets a spend limit and shows the audit log of the changes made here', async () => {
    await open('Limits', 'Spend limits');
    await page.getByRole('heading', { name: 'Spend limits' }).waitFor();
    const form = page.getByRole('form', { name: 'Spend limit of ana' });
    await form.getByLabel('Limit in dollars (empty: none)').fill('5');
    await form.getByLabel('Period').selectOption('day');
    await form.getByRole('button', { name: 'Save limit' }).click();
    const limitOfAna = async () =>
      (await stack.client.listUsers({ query: { limit: 100 } })).body.data.find((u) => u.username === 'ana')!
        .spend_limit;
    await expect.poll(limitOfAna).toEqual({ amount_micros: 5_000_000, period: 'day' });
    // What the admin's two priced replies cost this month, as the limits route reports it.
    const { body: mine } = await stack.client.getMyLimits();
    expect(mine.spent_micros).toBeGreaterThan(0);
    const admin = page.getByRole('row').filter({ hasText: 'admin' });
    await expect
      .poll(() => admin.getByRole('cell').nth(1).textContent())
      .toMatch(/^\$[\d.]+ spent, \$0\.0000 reserved$/);
    await open('Audit', 'Audit log');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const events = page.getByRole('table', { name: 'Audit events, newest first' });
    await events.getByRole('cell', { name: 'provider.create' }).first().waitFor();
    await page.getByLabel('Action').selectOption('token.revoke');
    await page.getByRole('button', { name: 'Filter' }).click();
    // Only the one token revoked above, by the admin.
    const revoked = events.getByRole('row').filter({ hasText: 'token.revoke' });
    await revoked.waitFor();
    expect(await events.getByRole('row').count()).toBe(2);
    expect(await revoked.getByRole('cell').nth(3).textContent()).toBe('admin');
    await screenshot(page, 'admin-audit');
    expect(problems).toEqual([]);
  });

  it('offers a member no admin pages', async () => {
    const member = await stack.memberClient('bo');
    const { page: theirs } = await signedIn(browser, stack.baseUrl, member.token!);
    expect(await theirs.getByRole('link', { name: 'Providers' }).count()).toBe(0);
    await theirs.goto(`${stack.baseUrl}/#/admin/providers`);
    await theirs.getByRole('heading', { name: 'Chats' }).waitFor();
    await theirs.close();
  });
});
