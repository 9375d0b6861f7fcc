import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWebUi } from '../web/build';
import { TEST_PASSWORD } from './support';

/** Debian's Chromium: playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * The web UI in Debian's Chromium for this test file: built and launched
 * before its tests, each page in a fresh context (own storage) closed after
 * its test, and a test fails on any uncaught exception in its pages.
 */
export function browserForThisFile(): { openPage(gatewayUrl: string): Promise<Page> } {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    await buildWebUi();
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
    // As root, Chromium runs only without its sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    const errors = pageErrors;
    pageErrors = [];
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    /** A page on the UI a gateway serves (`gatewayUrl` may be its /graphql endpoint or its origin). */
    async openPage(gatewayUrl: string): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(gatewayUrl.replace(/\/graphql$/, '/'));
      return page;
    },
  };
}

/** Submits the UI's log-in (or sign-up) form with the tests' password. */
export async function submitAuth(page: Page, username: string, button: 'Sign up' | 'Log in' = 'Log in'): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: button, exact: true }).click();
}

/** Logs in (or signs up) through the UI and waits until it shows who is in. */
export async function enter(page: Page, username: string, button: 'Sign up' | 'Log in' = 'Log in'): Promise<void> {
  await submitAuth(page, username, button);
  await page.locator('#whoami').getByText(`@${username}`).waitFor();
}
