import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWebUi } from '../web/build';
import { roomOfTwo, serviceForThisFile, waitFor } from './support';

/** Debian's Chromium: playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

// The web UI's attach button in Debian's Chromium, against a worker and two gateways in this process.
const service = serviceForThisFile('web-uploads', 2);
let browser: Browser;
const contexts: BrowserContext[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  await buildWebUi();
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
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

/** A fresh browser on gateway `url`'s UI, logged in as `username`, with the room open. */
async function openRoom(url: string, username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(url.replace(/\/graphql$/, '/'));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.locator('#whoami').getByText(`@${username}`).waitFor();
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
