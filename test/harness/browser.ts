import { type Browser, chromium, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's chromium (`.ci/run` installs it with apt-get); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Where screenshots go: the README's docs/screenshots with UPDATE_SCREENSHOTS=1, else the ignored
 * .chatq/screenshots, so that a test run leaves the checkout clean.
 */
const SCREENSHOTS = fileURLToPath(
  new URL(
    process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../../.chatq/screenshots/',
    import.meta.url,
  ),
);

/** One headless browser per test file: launching is the slow part, pages are cheap. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A page on the console at `baseUrl`, signed in with `token` through the sign-in form. */
export async function signedIn(
  browser: Browser,
  baseUrl: string,
  token: string,
  viewport = { width: 1000, height: 720 },
) {
  const page = await browser.newPage({ viewport });
  // Under the test's own 30 s, so a wait that never ends fails naming the locator it waited for.
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  // A CSP violation or a script error is a failure of the console, whatever the test looks at.
  page.on('pageerror', (err) => problems.push(err.message));
  // Refused calls (an edit the test expects to fail) also log a failed resource: not a problem.
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text());
  });
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Chats' }).waitFor();
  return { page, problems };
}

/** Saves a screenshot the README shows (`<name>.png`, see SCREENSHOTS). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // From the top, navigation included, whatever the test scrolled to.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}
