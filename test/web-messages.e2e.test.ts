import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { browserForThisFile, enter } from './browser';
import { SEND_CHAT, gqlOk, roomOfTwo, serviceForThisFile } from './support';

// The web UI's reply, reaction bar, edit, delete and message search, in Chromium against a gateway and worker in this process.
const service = serviceForThisFile('webmsg', 1, { SEND_RATE_PER_SECOND: '0' });
const url = () => service.urls[0];

const browser = browserForThisFile();

async function logIn(username: string): Promise<Page> {
  const page = await browser.openPage(url());
  await enter(page, username);
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
}, 90_000);
