import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserForThisFile, enter, submitAuth } from './browser';
import { SEND_CHAT, befriend, createRoom, gqlOk, range, roomOfTwo, serviceForThisFile, signUp, TEST_PASSWORD, waitFor, type TestUser } from './support';
import { TcpProxy } from './tcp-proxy';

// The web UI in Debian's Chromium against a gateway and worker in this process.
const service = serviceForThisFile('web');
const url = () => service.urls[0];
const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const browser = browserForThisFile();

/** A fresh browser (own storage) on the UI; `base` is the gateway's origin unless given. */
const openUi = (base = url()) => browser.openPage(base);

async function send(page: Page, body: string): Promise<void> {
  await page.getByLabel('Message').fill(body);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/** The message texts shown in the open room, top to bottom. */
const shown = (page: Page) => page.locator('#message-list .body').allTextContents();
const message = (page: Page, body: string) => page.locator('#message-list .body').getByText(body, { exact: true });
const roomButton = (page: Page, name: string) => page.locator('#rooms button', { hasText: name });

async function sendAs(user: TestUser, roomId: string, body: string): Promise<void> {
  await gqlOk(url(), SEND_CHAT, { input: { roomId, body, clientMessageId: randomUUID() } }, user.token);
}

const uniqueName = (name: string) => `${name}_${randomUUID().slice(0, 8)}`;

test('the gateway serves the UI at / and leaves /graphql to GraphQL', async () => {
  const base = url().replace(/\/graphql$/, '/');
  const index = await fetch(base);
  expect(index.status).toBe(200);
  expect(index.headers.get('content-type')).toMatch(/^text\/html/);
  expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(await index.text()).toContain('<script type="module" src="app.js">');
  expect((await fetch(new URL('app.js', base))).status).toBe(200);
  // A browser's GET of /graphql still gets Apollo's page, not the UI.
  const landing = await fetch(url(), { headers: { accept: 'text/html' } });
  expect(landing.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await landing.text()).not.toContain('app.js');
});

test('two people sign up, befriend, share a room and chat live; the room shows an unread badge until it is opened', async () => {
  const alice = uniqueName('alice');
  const bob = uniqueName('bob');
  const pageA = await openUi();
  const pageB = await openUi();
  await enter(pageA, alice, 'Sign up');

  // An API error reaches the user with its code: Bob first tries Alice's name, which is taken.
  await submitAuth(pageB, alice, 'Sign up');
  await pageB.locator('#error').getByText('(CONFLICT)').waitFor();
  await enter(pageB, bob, 'Sign up');
  expect(await pageB.locator('#error').isVisible()).toBe(false);

  // Alice finds Bob by the start of his name, adds him and makes a room with him.
  await pageA.getByLabel('Find people').fill(bob.slice(0, 7));
  await pageA.locator('#search-results li', { hasText: `@${bob}` }).getByRole('button', { name: 'Add friend' }).click();
  await pageA.locator('#friends label', { hasText: `@${bob}` }).getByRole('checkbox').check();
  await pageA.getByLabel('New room name').fill('lunch');
  await pageA.getByRole('button', { name: 'Create room' }).click();
  await pageA.locator('#room-title').getByText('lunch').waitFor();
  await send(pageA, 'hello bob');
  await message(pageA, 'hello bob').waitFor();

  // Bob's list gains the room, with one unread message, and Alice as a friend (friendship is mutual).
  await roomButton(pageB, 'lunch').locator('.badge').getByText('1', { exact: true }).waitFor();
  await pageB.locator('#friends').getByText(`@${alice}`).waitFor();
  await roomButton(pageB, 'lunch').click();
  await message(pageB, 'hello bob').waitFor();
  expect(await roomButton(pageB, 'lunch').locator('.badge').count()).toBe(0);

  // Live both ways.
  await send(pageA, 'are you there?');
  await message(pageB, 'are you there?').waitFor();
  await send(pageB, 'yes!');
  await message(pageA, 'yes!').waitFor();
  expect(await shown(pageB)).toEqual(['hello bob', 'are you there?', 'yes!']);
  expect(await shown(pageA)).toEqual(['hello bob', 'are you there?', 'yes!']);

  // Viewing the room marked it read on the server, as a fresh login of Bob's sees.
  const login = await gqlOk(url(), 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: bob, p: TEST_PASSWORD });
  await waitFor('Bob to have read everything', async () => {
    const { rooms } = await gqlOk(url(), '{ rooms { name unreadCount } }', {}, login.login.token);
    return rooms.length === 1 && rooms[0].unreadCount === 0;
  });

  mkdirSync(ARTIFACTS, { recursive: true });
  await pageA.screenshot({ path: join(ARTIFACTS, 'web-ui.png') });
});

test('live, without polling or reload: a new room appears in the other list, each sees the other typing, the unread number beside a message goes from 1 to 0', async () => {
  const alice = await signUp(url(), 'alice');
  const bob = await signUp(url(), 'bob');
  await befriend(url(), alice, bob);
  const pageA = await openUi();
  const pageB = await openUi();
  await enter(pageA, alice.username, 'Log in');
  await enter(pageB, bob.username, 'Log in');
  // Both pages hold myEvents; then a room is made elsewhere (through the API, as from another device).
  await waitFor('both pages on myEvents', () => service.gateways[0].gateway!.openUserStreams >= 2);
  const name = uniqueName('live');
  await createRoom(url(), alice, [bob], name);
  await roomButton(pageB, name).waitFor();
  await roomButton(pageA, name).waitFor();

  // Alice writes while Bob has not opened the room: one member has not read it.
  await roomButton(pageA, name).click();
  await send(pageA, 'read me');
  const number = pageA.locator('#message-list li', { hasText: 'read me' }).locator('.unread-by');
  await number.getByText('1', { exact: true }).waitFor();
  await roomButton(pageB, name).locator('.badge').getByText('1', { exact: true }).waitFor();
  // Bob opens it, which reads it: Alice's number goes from 1 to nothing.
  await roomButton(pageB, name).click();
  await message(pageB, 'read me').waitFor();
  await waitFor('the unread number to fall to 0', async () => (await number.getAttribute('data-count')) === '0');
  expect(await number.textContent()).toBe('');

  // Typing, both ways; sending ends it.
  await pageB.getByLabel('Message').pressSequentially('hel');
  await pageA.locator('#typing').getByText('bob is typing…').waitFor();
  await pageA.getByLabel('Message').pressSequentially('hi');
  await pageB.locator('#typing').getByText('alice is typing…').waitFor();
  await pageB.getByRole('button', { name: 'Send', exact: true }).click();
  await message(pageA, 'hel').waitFor();
  await waitFor('the typing line to clear', async () => (await pageA.locator('#typing').textContent()) === '');
  // Bob's friend Alice is shown online.
  await pageB.locator('#friends li', { hasText: `@${alice.username}` }).locator('.dot.online').waitFor();
});

test('the room view scrolls back through history, an older page at a time', async () => {
  const { alice, bob, roomId } = await roomOfTwo(url());
  // More than the UI's page of 30, from both, so neither runs into the send rate limit.
  for (const i of range(1, 36)) await sendAs(i % 2 ? alice : bob, roomId, `history ${i}`);
  const page = await openUi();
  await enter(page, bob.username, 'Log in');
  await roomButton(page, 'room').click();
  await message(page, 'history 36').waitFor();
  expect(await shown(page)).not.toContain('history 1');

  // Scrolling up to the top loads what came before.
  await page.locator('#messages').hover();
  await page.mouse.wheel(0, -10_000);
  await message(page, 'history 1').waitFor();
  expect(await shown(page)).toEqual(range(1, 36).map((i) => `history ${i}`));
  expect(await page.getByRole('button', { name: 'Load older messages' }).isVisible()).toBe(false);
});

test('after the connection drops, the room resumes from the last message shown: nothing lost, nothing twice', async () => {
  const { alice, bob, roomId } = await roomOfTwo(url());
  await sendAs(alice, roomId, 'before the drop');
  // The browser reaches the gateway through a relay the test can cut.
  const proxy = await new TcpProxy('127.0.0.1', Number(new URL(url()).port)).start();
  try {
    const page = await openUi(`http://127.0.0.1:${proxy.port}/`);
    const subscribedAfter: number[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        const frame = JSON.parse(String(payload));
        // The room's subscriptions (myEvents has no variables).
        if (frame.type === 'subscribe' && frame.payload.variables?.roomId) subscribedAfter.push(frame.payload.variables.afterSeq);
      }),
    );
    await enter(page, bob.username, 'Log in');
    await roomButton(page, 'room').click();
    await message(page, 'before the drop').waitFor();
    await sendAs(alice, roomId, 'live before the drop');
    await message(page, 'live before the drop').waitFor();

    await proxy.cut();
    await page.locator('#status').getByText('reconnecting…').waitFor();
    await sendAs(alice, roomId, 'while away 1');
    await sendAs(alice, roomId, 'while away 2');
    await proxy.restore();

    await message(page, 'while away 2').waitFor();
    await page.locator('#status').getByText('live', { exact: true }).waitFor();
    await sendAs(alice, roomId, 'after the return');
    await message(page, 'after the return').waitFor();
    expect(await shown(page)).toEqual(['before the drop', 'live before the drop', 'while away 1', 'while away 2', 'after the return']);
    // It subscribed after the history's last seq, then again after the last one shown before the drop.
    expect(subscribedAfter).toEqual([1, 2]);
  } finally {
    await proxy.stop();
  }
});
