import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWebUi } from '../web/build';
import { SEND_CHAT, gqlOk, roomOfTwo, serviceForThisFile } from './support';

/** Debian's Chromium: playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';

// The web UI's reply, reaction bar, edit, delete and message search, in Chromium against a gateway and worker in this process.
const service = serviceForThisFile('webmsg', 1, { SEND_RATE_PER_SECOND: '0' });
const url = () => service.urls[0];

let browser: Browser;
let context: BrowserContext | null = null;
const pageErrors: string[] = [];

beforeAll(async () => {
  await buildWebUi();
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
});

async function logIn(username: string): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(url().replace(/\/graphql$/, '/'));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.locator('#whoami').getByText(`@${username}`).waitFor();
  return page;
}

const item = (page: Page, seq: number) => page.locator(`#message-list li[data-seq="${seq}"]`);

test('reply with a quote, react, edit and delete one’s own message, and find a message by a word of it', async () => {
  const { alice, bob, roomId } = await roomOfTwo(url());
  const word = `zeta${randomUUID().slice(0, 6)}`;
  await gqlOk(url(), SEND_CHAT, { input: { roomId, body: `lunch at the ${word} place?` } }, alice.token);
  const page = await logIn(bob.username);
  await page.locator('#rooms button', { hasText: 'room' }).click();
  await item(page, 1).getByText(`lunch at the ${word} place?`).waitFor();

  // Reply: the composer says what it answers; the reply shows the original quoted.
  await item(page, 1).getByRole('button', { name: 'Reply' }).click();
  await page.locator('#reply-target').getByText(`lunch at the ${word} place?`).waitFor();
  await page.getByLabel('Message').fill('running late');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await item(page, 2).locator('.reply-quote').getByText(`lunch at the ${word} place?`).waitFor();
  expect(await page.locator('#reply-target').count()).toBe(0);

  // React from the bar: the count shows, pressed for the viewer.
  await item(page, 1).locator('button[data-emoji="👍"]').click();
  await item(page, 1).locator('button.reaction.mine', { hasText: '👍 1' }).waitFor();

  // Edit and delete one's own message (the browser's prompt and confirm).
  page.once('dialog', (dialog) => void dialog.accept('running very late'));
  await item(page, 2).getByRole('button', { name: 'Edit' }).click();
  // The message's own body (`:scope >`), not its quote's.
  await item(page, 2).locator(':scope > .body', { hasText: 'running very late' }).waitFor();
  await item(page, 2).locator('.edited').waitFor();
  expect(await item(page, 1).getByRole('button', { name: 'Edit' }).count()).toBe(0);
  page.once('dialog', (dialog) => void dialog.accept());
  await item(page, 2).getByRole('button', { name: 'Delete' }).click();
  await item(page, 2).getByText('message deleted').waitFor();

  // Search: a result opens the room at that message.
  await page.getByLabel('Find words in your rooms').fill(word);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.locator('#message-search-results li', { hasText: word }).click();
  await page.locator('#message-list li.found[data-seq="1"]').waitFor();
  expect(pageErrors).toEqual([]);
}, 90_000);
