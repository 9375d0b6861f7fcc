import type { Page } from 'playwright-core';
import { browserForThisFile, enter } from './browser';
import { roomOfTwo, serviceForThisFile, waitFor } from './support';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

// The web UI's attach button in Debian's Chromium, against a worker and two gateways in this process.
const service = serviceForThisFile('web-uploads', 2);
const browser = browserForThisFile();

/** A fresh browser on gateway `url`'s UI, logged in as `username`, with the room open. */
async function openRoom(url: string, username: string): Promise<Page> {
  const page = await browser.openPage(url);
  await enter(page, username);
  await page.locator('#rooms button', { hasText: 'room' }).click();
  await page.locator('#compose').waitFor();
  return page;
}

test('a file attached as one user (on one gateway) is shown to the other (on another): an image inline, anything else as a link that opens', async () => {
  const [urlA, urlB] = service.urls;
  const { alice, bob } = await roomOfTwo(urlA, urlB);
  const pageA = await openRoom(urlA, alice.username);
  const pageB = await openRoom(urlB, bob.username);

  await pageA.locator('#attach-file').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
  const image = pageB.locator('#message-list img[alt="dot.png"]');
  await image.waitFor();
  // Loaded from Bob's gateway with his link: a real image, not a broken one.
  await waitFor('the image to load', () => image.evaluate((img: { naturalWidth: number }) => img.naturalWidth === 1));

  await pageA.locator('#attach-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from alice') });
  const link = pageB.locator('#message-list a.attachment', { hasText: 'notes.txt' });
  await link.waitFor();
  const href = await link.getAttribute('href');
  const opened = await pageB.evaluate(async (h) => {
    const res = await fetch(h!);
    return { status: res.status, disposition: res.headers.get('content-disposition'), text: await res.text() };
  }, href);
  expect(opened).toEqual({ status: 200, disposition: 'attachment; filename=notes.txt', text: 'hello from alice' });
  // The progress bar is gone once the upload is sent.
  expect(await pageA.locator('#attach-progress').isHidden()).toBe(true);
});
