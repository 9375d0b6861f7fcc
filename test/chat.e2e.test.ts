import {
  SEND_CHAT,
  befriend,
  createRoom,
  gql,
  gqlOk,
  range,
  roomOfTwo as roomOfTwoOn,
  serviceForThisFile,
  signUp,
  waitFor,
  type GqlError,
  type TestUser,
} from './support';

// One worker and two gateway instances over the same topics, as when several gateways run.
// Its tests send in bursts from one user; the send rate has tests of its own (limits.e2e).
const service = serviceForThisFile('chat', 2, { SEND_RATE_PER_SECOND: '0' });
let urlA: string;
let urlB: string;
beforeAll(() => void ([urlA, urlB] = service.urls));
const watcher = (url: string, token: string | null) => service.watcher(url, token);

const roomOfTwo = () => roomOfTwoOn(urlA, urlB);

const send = (url: string, user: TestUser, roomId: string, body: string, clientMessageId?: string) =>
  gqlOk(url, SEND_CHAT, { input: { roomId, body, clientMessageId } }, user.token);

test('sign up, befriend, create a room: both see it, and friendship is mutual', async () => {
  const { alice, bob, roomId } = await roomOfTwo();
  const me = await gqlOk(urlB, '{ me { id username displayName email } }', {}, bob.token);
  expect(me.me).toEqual({ id: bob.id, username: bob.username, displayName: 'bob', email: null });
  const bobsFriends = await gqlOk(urlB, '{ friends { id } }', {}, bob.token);
  expect(bobsFriends.friends).toEqual([{ id: alice.id }]);
  const rooms = await gqlOk(urlB, '{ rooms(first: 10) { id lastSeq unreadCount lastReadSeq members { id } } }', {}, bob.token);
  expect(rooms.rooms).toEqual([
    { id: roomId, lastSeq: 0, unreadCount: 0, lastReadSeq: 0, members: expect.arrayContaining([{ id: alice.id }, { id: bob.id }]) },
  ]);
});

test('50 chats reach subscribers on two gateways, each once and in seq order', async () => {
  const { alice, bob, roomId } = await roomOfTwo();
  const onA = watcher(urlA, alice.token).watch(roomId, 0);
  const onB = watcher(urlB, bob.token).watch(roomId, 0);

  for (const i of range(1, 50)) await send(i % 2 ? urlA : urlB, i % 2 ? alice : bob, roomId, `hello ${i}`);
  // One more marker message: when it arrives, anything sent before it has arrived too, duplicates included.
  await send(urlA, alice, roomId, 'marker');
  for (const w of [onA, onB]) {
    await waitFor('the marker message', () => w.messages.some((m) => m.body === 'marker'));
    expect(w.errors).toBeNull();
    expect(w.seqs).toEqual(range(1, 51));
    expect(w.messages.slice(0, 50).map((m) => m.body)).toEqual(range(1, 50).map((i) => `hello ${i}`));
  }

  const history = await gqlOk(urlB, 'query($id: ID!) { messages(roomId: $id, last: 50) { edges { node { seq } } pageInfo { hasPreviousPage hasNextPage } } }', { id: roomId }, bob.token);
  expect(history.messages.edges.map((e: { node: { seq: number } }) => e.node.seq)).toEqual(range(2, 51));
  expect(history.messages.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: false });
});

test('a subscriber that was away resumes with afterSeq: exactly what it missed, then live ones', async () => {
  const { alice, bob, roomId } = await roomOfTwo();
  const first = watcher(urlB, bob.token).watch(roomId, 0);
  for (const i of range(1, 3)) await send(urlA, alice, roomId, `before ${i}`);
  await waitFor('the first three', () => first.messages.length === 3);
  await first.close();

  for (const i of range(4, 7)) await send(urlA, alice, roomId, `while away ${i}`);
  const resumed = watcher(urlA, bob.token).watch(roomId, 3);
  await waitFor('the missed ones', () => resumed.messages.length >= 4);
  await send(urlB, alice, roomId, 'live 8');
  await waitFor('the live one', () => resumed.messages.some((m) => m.body === 'live 8'));
  expect(resumed.seqs).toEqual(range(4, 8));
  expect(resumed.messages.map((m) => m.body)).toEqual([...range(4, 7).map((i) => `while away ${i}`), 'live 8']);
});

test('a subscription without afterSeq gets messages sent after it started', async () => {
  const { alice, bob, roomId } = await roomOfTwo();
  await send(urlA, alice, roomId, 'old');
  const open = service.gateways[1].gateway!.openSubscriptions;
  const live = watcher(urlB, bob.token).watch(roomId, null);
  // It is registered once the gateway counts it.
  await waitFor('the subscription to be open', () => service.gateways[1].gateway!.openSubscriptions > open);
  await send(urlA, alice, roomId, 'new');
  await waitFor('the new message', () => live.messages.length > 0);
  expect(live.messages.map((m) => m.body)).toEqual(['new']);
});

test("a non-member's subscription is refused with FORBIDDEN", async () => {
  const { roomId } = await roomOfTwo();
  const mallory = await signUp(urlA, 'mallory');
  const w = watcher(urlA, mallory.token).watch(roomId, 0);
  await waitFor('the refusal', () => w.errors);
  expect(w.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(w.messages).toEqual([]);
});

test('a bad token on the socket closes it with 4403', async () => {
  const { roomId } = await roomOfTwo();
  const forged = watcher(urlA, 'not-a-jwt').watch(roomId, 0);
  const missing = watcher(urlB, null).watch(roomId, 0);
  await waitFor('both sockets to close', () => forged.closeCode !== null && missing.closeCode !== null);
  expect([forged.closeCode, missing.closeCode]).toEqual([4403, 4403]);
});

test('login works with the right password and fails alike for a wrong name or password', async () => {
  const user = await signUp(urlA, 'carol');
  const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id lastLoginAt } } }';
  const ok = await gqlOk(urlB, LOGIN, { u: user.username.toUpperCase(), p: 'correct horse battery' });
  expect(ok.login.user.id).toBe(user.id);
  expect(ok.login.user.lastLoginAt).not.toBeNull();
  const me = await gqlOk(urlA, '{ me { id } }', {}, ok.login.token);
  expect(me.me.id).toBe(user.id);

  const wrongPassword = await gql(urlA, LOGIN, { u: user.username, p: 'wrong password!' });
  const wrongName = await gql(urlA, LOGIN, { u: `${user.username}x`, p: 'correct horse battery' });
  expect(wrongPassword.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(wrongName.errors?.[0]).toEqual(wrongPassword.errors?.[0]);
});

test('errors carry the contract codes and no internals', async () => {
  const taken = await signUp(urlA, 'dave');
  const dup = await gql(urlA, 'mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
    i: { username: taken.username.toUpperCase(), password: 'long enough pw' },
  });
  expect(dup.errors?.[0].extensions?.code).toBe('CONFLICT');

  const short = await gql(urlA, 'mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
    i: { username: 'ab', password: 'long enough pw' },
  });
  expect(short.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

  const anonymous = await gql(urlA, '{ me { id } }');
  expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

  const stranger = await gql(urlA, 'mutation($id: ID!) { addFriend(userId: $id) { id } }', { id: taken.id }, 'garbage');
  expect(stranger.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

  const { roomId } = await roomOfTwo();
  const outsider = await signUp(urlA, 'erin');
  const write = await gql(urlA, SEND_CHAT, { input: { roomId, body: 'hi' } }, outsider.token);
  expect(write.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const read = await gql(urlA, 'query($id: ID!) { messages(roomId: $id) { edges { cursor } } }', { id: roomId }, outsider.token);
  expect(read.errors?.[0].extensions?.code).toBe('FORBIDDEN');

  const notFriend = await gql(urlA, 'mutation($ids: [ID!]!) { createRoom(memberIds: $ids) { id } }', { ids: [taken.id] }, outsider.token);
  expect(notFriend.errors?.[0].extensions?.code).toBe('FORBIDDEN');

  const syntax = await gql(urlA, '{ me { id ');
  expect(syntax.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

  const notJson = await fetch(urlA, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
  expect(notJson.status).toBe(400);
  const notJsonBody = (await notJson.json()) as { errors: GqlError[] };
  expect(notJsonBody.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(JSON.stringify(notJsonBody)).not.toMatch(/stack|at .*\.js/);

  for (const result of [dup, short, anonymous, write, read, notFriend, syntax]) {
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|select |insert |kafka|\.ts:/i);
  }
});

test('a browser opening the endpoint gets Apollo Sandbox; /healthz answers', async () => {
  const page = await fetch(urlA, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/sandbox/i);
  const health = await fetch(new URL('/healthz', urlA));
  expect(await health.json()).toEqual({ status: 'ok' });
});
