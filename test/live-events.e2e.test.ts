import { RECORD_VERSION } from '../src/contracts/records';
import { Live, MY_EVENTS, closeAllLive } from './live-client';
import { befriend, createRoom, gqlError, gqlOk, serviceForThisFile, signUp, waitFor, type TestUser } from './support';

// roomEvents, myEvents, read receipts, typing and presence over two gateways, on real Kafka and PostgreSQL.
const service = serviceForThisFile('live-events', 2, { SEND_RATE_PER_SECOND: '0' });

const ROOM_EVENTS = `subscription($roomId: ID!, $afterSeq: Int) {
  roomEvents(roomId: $roomId, afterSeq: $afterSeq) {
    __typename
    ... on MessageAdded { message { id seq body unreadBy sender { id } } }
    ... on MessageChanged { message { id seq body } }
    ... on ReadMarkerMoved { roomId user { id } lastReadSeq previousReadSeq }
    ... on TypingChanged { roomId user { id } typing }
  }
}`;

afterAll(closeAllLive);

const gateway = (i: number) => service.gateways[i].gateway!;

/** Subscribes and waits until the gateway has set the stream up. */
async function roomEvents(i: number, user: TestUser, roomId: string, afterSeq: number | null = null): Promise<Live> {
  const before = gateway(i).openSubscriptions;
  const live = new Live(service.urls[i], user.token).subscribe(ROOM_EVENTS, 'roomEvents', { roomId, afterSeq });
  await waitFor('roomEvents to be set up', () => gateway(i).openSubscriptions > before || live.errors);
  return live;
}

async function myEvents(i: number, token: string): Promise<Live> {
  const before = gateway(i).openUserStreams;
  const live = new Live(service.urls[i], token).subscribe(MY_EVENTS, 'myEvents');
  await waitFor('myEvents to be set up', () => gateway(i).openUserStreams > before || live.errors);
  return live;
}

const send = (url: string, user: TestUser, roomId: string, body: string) =>
  gqlOk(url, 'mutation($input: SendChatInput!) { sendChat(input: $input) { id seq unreadBy } }', { input: { roomId, body } }, user.token).then(
    (d) => d.sendChat as { id: string; seq: number; unreadBy: number },
  );
const markRead = (url: string, user: TestUser, roomId: string, seq: number) =>
  gqlOk(url, 'mutation($r: ID!, $s: Int!) { markRead(roomId: $r, seq: $s) { unreadCount lastReadSeq } }', { r: roomId, s: seq }, user.token);
const setTyping = (url: string, user: TestUser, roomId: string, typing: boolean) =>
  gqlOk(url, 'mutation($r: ID!, $t: Boolean!) { setTyping(roomId: $r, typing: $t) }', { r: roomId, t: typing }, user.token);

async function threeFriends() {
  const [gw0, gw1] = service.urls;
  const alice = await signUp(gw0, 'alice');
  const bob = await signUp(gw1, 'bob');
  const carol = await signUp(gw1, 'carol');
  await befriend(gw0, alice, bob);
  await befriend(gw0, alice, carol);
  return { alice, bob, carol };
}

test('roomEvents across two gateways: MessageAdded with unreadBy, ReadMarkerMoved, typing that lapses; unreadBy in history falls as members read', async () => {
  const [gw0, gw1] = service.urls;
  const { alice, bob, carol } = await threeFriends();
  const roomId = await createRoom(gw0, alice, [bob, carol]);
  // The sender on gateway 0, the reader and a subscriber on gateway 1, another subscriber on gateway 0.
  const carolLive = await roomEvents(1, carol, roomId, 0);
  const aliceLive = await roomEvents(0, alice, roomId, 0);
  const sent = await send(gw0, alice, roomId, 'hello');
  expect(sent.unreadBy).toBe(2);
  await waitFor('MessageAdded on both gateways', () => carolLive.of('MessageAdded').length === 1 && aliceLive.of('MessageAdded').length === 1);
  expect(carolLive.of('MessageAdded')[0].message).toMatchObject({ seq: 1, body: 'hello', unreadBy: 2, sender: { id: alice.id } });

  await markRead(gw1, bob, roomId, 1);
  await waitFor('ReadMarkerMoved', () => carolLive.of('ReadMarkerMoved').length === 1 && aliceLive.of('ReadMarkerMoved').length === 1);
  expect(carolLive.of('ReadMarkerMoved')[0]).toEqual({ __typename: 'ReadMarkerMoved', roomId, user: { id: bob.id }, lastReadSeq: 1, previousReadSeq: 0 });
  // A repeated markRead moves nothing and tells nobody; history shows one reader more.
  await markRead(gw1, bob, roomId, 1);
  const page = await gqlOk(gw0, 'query($r: ID!) { messages(roomId: $r, last: 10) { edges { node { seq unreadBy } } } }', { r: roomId }, alice.token);
  expect(page.messages.edges.map((e: { node: unknown }) => e.node)).toEqual([{ seq: 1, unreadBy: 1 }]);
  const rooms = await gqlOk(gw1, '{ rooms { id lastMessage { seq unreadBy } } }', {}, carol.token);
  expect(rooms.rooms[0].lastMessage).toEqual({ seq: 1, unreadBy: 1 });

  await setTyping(gw1, bob, roomId, true);
  await waitFor('TypingChanged(true) on both gateways', () => aliceLive.of('TypingChanged').length === 1 && carolLive.of('TypingChanged').length === 1);
  expect(aliceLive.of('TypingChanged')[0]).toEqual({ __typename: 'TypingChanged', roomId, user: { id: bob.id }, typing: true });
  // Key presses: repeats within 2 s are not produced again.
  await setTyping(gw1, bob, roomId, true);
  await setTyping(gw1, bob, roomId, true);
  // The lapse, 6 s after the last typing: true, on every gateway.
  await waitFor('the lapse', () => aliceLive.of('TypingChanged').length === 2 && carolLive.of('TypingChanged').length === 2, 15_000);
  expect(aliceLive.of('TypingChanged')[1]).toMatchObject({ user: { id: bob.id }, typing: false });
  expect(carolLive.of('ReadMarkerMoved')).toHaveLength(1);
  expect(carolLive.errors).toBeNull();
}, 60_000);

test('roomEvents: a non-member cannot subscribe nor type there, and never sees the room\'s typing', async () => {
  const [gw0, gw1] = service.urls;
  const { alice, bob } = await threeFriends();
  const dave = await signUp(gw1, 'dave');
  const roomId = await createRoom(gw0, alice, [bob]);
  const daveLive = await roomEvents(1, dave, roomId);
  await waitFor('FORBIDDEN', () => daveLive.errors);
  expect(daveLive.errors![0].extensions?.code).toBe('FORBIDDEN');
  expect((await gqlError(gw1, 'mutation($r: ID!) { setTyping(roomId: $r, typing: true) }', { r: roomId }, dave.token)).extensions?.code).toBe('FORBIDDEN');
  // Dave's own room on the same gateway hears nothing of Alice's room.
  const davesRoom = await createRoom(gw1, dave, []);
  const daveOwn = await roomEvents(1, dave, davesRoom);
  const bobLive = await roomEvents(1, bob, roomId);
  await setTyping(gw0, alice, roomId, true);
  await waitFor('Bob sees the typing', () => bobLive.of('TypingChanged').length === 1);
  await send(gw1, dave, davesRoom, 'alone');
  await waitFor("Dave's own message", () => daveOwn.of('MessageAdded').length === 1);
  expect(daveOwn.of('TypingChanged')).toEqual([]);
});

test('roomEvents passes MessageChanged through (as the edits issue produces it), and roomMessages does not', async () => {
  const [gw0] = service.urls;
  const { alice, bob } = await threeFriends();
  const roomId = await createRoom(gw0, alice, [bob]);
  const live = await roomEvents(1, bob, roomId, 0);
  const sent = await send(gw0, alice, roomId, 'first');
  await waitFor('MessageAdded', () => live.of('MessageAdded').length === 1);
  const message = { id: sent.id, roomId, seq: 1, kind: 'TEXT' as const, body: 'edited', sender: null, attachment: null, clientMessageId: null, createdAt: new Date().toISOString() };
  await gateway(0).publishEvent({ v: RECORD_VERSION, type: 'message-changed', message });
  await waitFor('MessageChanged', () => live.of('MessageChanged').length === 1);
  expect(live.of('MessageChanged')[0].message).toEqual({ id: sent.id, seq: 1, body: 'edited' });
  expect(live.of('MessageAdded')).toHaveLength(1);
});

test('myEvents on two devices: a room created, a new message (unreadCount as the viewer sees it), the marker moved on the other device, members came, the room left; friendships', async () => {
  const [gw0, gw1] = service.urls;
  const { alice, bob, carol } = await threeFriends();
  // Bob's second device: a second login, on the other gateway.
  const login = await gqlOk(gw0, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: bob.username, p: 'correct horse battery' });
  const phone = await myEvents(1, bob.token);
  const laptop = await myEvents(0, login.login.token);
  const aliceLive = await myEvents(0, alice.token);

  const roomId = await createRoom(gw0, alice, [bob], 'lunch');
  await waitFor('RoomChanged (created) on both devices', () => phone.of('RoomChanged').length === 1 && laptop.of('RoomChanged').length === 1);
  expect(phone.of('RoomChanged')[0].room).toMatchObject({ id: roomId, name: 'lunch', lastSeq: 0, unreadCount: 0 });

  await send(gw0, alice, roomId, 'one');
  await send(gw0, alice, roomId, 'two');
  await waitFor('two new messages', () => phone.of('RoomChanged').length === 3 && laptop.of('RoomChanged').length === 3);
  expect(phone.of('RoomChanged')[2].room).toMatchObject({ lastSeq: 2, unreadCount: 2, lastMessage: { seq: 2, body: 'two', unreadBy: 1 } });
  // The sender's own view: nothing unread.
  await waitFor("Alice's RoomChanged", () => aliceLive.of('RoomChanged').length === 3);
  expect(aliceLive.of('RoomChanged')[2].room).toMatchObject({ lastSeq: 2, unreadCount: 0 });

  // Read on the laptop: the phone hears it (part-way needs the store once; to the end needs nothing).
  await markRead(gw0, bob, roomId, 1);
  await waitFor('marker to 1 on the phone', () => phone.of('RoomChanged').length === 4);
  expect(phone.of('RoomChanged')[3].room).toMatchObject({ lastReadSeq: 1, unreadCount: 1 });
  await markRead(gw0, bob, roomId, 2);
  await waitFor('marker to 2 on the phone', () => phone.of('RoomChanged').length === 5);
  expect(phone.of('RoomChanged')[4].room).toMatchObject({ lastReadSeq: 2, unreadCount: 0 });
  // Another member's marker is not Alice's room list's business.
  expect(aliceLive.of('RoomChanged')).toHaveLength(3);

  // Carol comes in: members change for Bob and Alice; Carol herself hears the room.
  const carolLive = await myEvents(1, carol.token);
  await gqlOk(gw0, 'mutation($r: ID!, $u: [ID!]!) { inviteToRoom(roomId: $r, userIds: $u) { id } }', { r: roomId, u: [carol.id] }, alice.token);
  await waitFor('members changed', () => phone.of('RoomChanged').length === 6 && carolLive.of('RoomChanged').length >= 1);
  expect(phone.of('RoomChanged')[5].room.members.map((m: { id: string }) => m.id).sort()).toEqual([alice.id, bob.id, carol.id].sort());
  expect(carolLive.of('RoomChanged').at(-1)!.room).toMatchObject({ id: roomId, lastSeq: 3 });

  // Bob leaves on the phone: both devices drop the room; the others see members go.
  await gqlOk(gw1, 'mutation($r: ID!) { leaveRoom(roomId: $r) }', { r: roomId }, bob.token);
  await waitFor('RoomRemoved on both devices', () => phone.of('RoomRemoved').length === 1 && laptop.of('RoomRemoved').length === 1);
  expect(phone.of('RoomRemoved')[0]).toEqual({ __typename: 'RoomRemoved', roomId });
  await waitFor('Carol sees Bob go', () => carolLive.of('RoomChanged').some((e) => e.room.members.length === 2));
  await send(gw0, alice, roomId, 'after bob');
  await waitFor('Carol hears the message', () => carolLive.of('RoomChanged').some((e) => e.room.lastMessage?.body === 'after bob'));
  expect(phone.of('RoomChanged')).toHaveLength(6);

  // Friendships: removed, then blocked after befriending again.
  await gqlOk(gw1, 'mutation($u: ID!) { removeFriend(userId: $u) }', { u: alice.id }, bob.token);
  await waitFor('FriendChanged(false) to both', () => laptop.of('FriendChanged').length === 1 && aliceLive.of('FriendChanged').length === 1);
  expect(laptop.of('FriendChanged')[0]).toEqual({ __typename: 'FriendChanged', user: { id: alice.id }, friend: false });
  expect(aliceLive.of('FriendChanged')[0]).toEqual({ __typename: 'FriendChanged', user: { id: bob.id }, friend: false });
  await befriend(gw0, alice, bob);
  await gqlOk(gw0, 'mutation($u: ID!) { blockUser(userId: $u) }', { u: bob.id }, alice.token);
  await waitFor('befriended, then blocked', () => phone.of('FriendChanged').length === 3);
  expect(phone.of('FriendChanged').map((e) => e.friend)).toEqual([false, true, false]);
  expect(phone.errors).toBeNull();
}, 60_000);

test('a device that logs out ends its own myEvents, not the other device\'s', async () => {
  const [gw0, gw1] = service.urls;
  const { alice, bob } = await threeFriends();
  const login = await gqlOk(gw1, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: bob.username, p: 'correct horse battery' });
  const first = await myEvents(0, bob.token);
  const second = await myEvents(1, login.login.token);
  await gqlOk(gw0, 'mutation { logout }', {}, bob.token);
  await waitFor('the logged-out device to end', () => first.completed || first.closed);
  const roomId = await createRoom(gw0, alice, [bob]);
  await waitFor('the other device still hears', () => second.of('RoomChanged').some((e) => e.room.id === roomId));
  expect(second.completed || second.closed).toBe(false);
  expect(first.of('RoomChanged')).toEqual([]);
});

test('presence: friends see online and lastSeenAt change (once, not per socket), strangers see false and null', async () => {
  const [gw0, gw1] = service.urls;
  const alice = await signUp(gw0, 'alice');
  const bob = await signUp(gw1, 'bob');
  const stranger = await signUp(gw0, 'stranger');
  await befriend(gw0, alice, bob);
  const aliceLive = await myEvents(0, alice.token);
  const presenceOfBob = `query($id: ID!) { user(id: $id) { online lastSeenAt } }`;

  // Two sockets of Bob's on the other gateway: one PresenceChanged.
  const socket1 = await myEvents(1, bob.token);
  const socket2 = await myEvents(1, bob.token);
  await waitFor('Bob online', () => aliceLive.of('PresenceChanged').length === 1);
  expect(aliceLive.of('PresenceChanged')[0].user).toEqual({ id: bob.id, online: true, lastSeenAt: null });
  expect((await gqlOk(gw0, presenceOfBob, { id: bob.id }, alice.token)).user).toEqual({ online: true, lastSeenAt: null });
  expect((await gqlOk(gw0, presenceOfBob, { id: bob.id }, stranger.token)).user).toEqual({ online: false, lastSeenAt: null });

  await socket1.close();
  await socket2.close();
  await waitFor('Bob offline', () => aliceLive.of('PresenceChanged').length === 2);
  const offline = aliceLive.of('PresenceChanged')[1].user;
  expect(offline).toMatchObject({ id: bob.id, online: false });
  expect(Date.parse(offline.lastSeenAt)).not.toBeNaN();
  // Durable: the store has it (through the worker), and strangers still see nothing.
  await waitFor('lastSeenAt stored', async () => (await gqlOk(gw1, '{ me { lastSeenAt } }', {}, bob.token)).me.lastSeenAt);
  expect((await gqlOk(gw0, presenceOfBob, { id: bob.id }, stranger.token)).user).toEqual({ online: false, lastSeenAt: null });
  expect(aliceLive.of('PresenceChanged')).toHaveLength(2);
});

test('presence: a gateway that stops heartbeating (killed) takes its users offline within 30 s', async () => {
  const [gw0] = service.urls;
  const alice = await signUp(gw0, 'alice');
  const bob = await signUp(gw0, 'bob');
  await befriend(gw0, alice, bob);
  const aliceLive = await myEvents(0, alice.token);
  // A gateway that says Bob is connected to it once, then never speaks again (as after kill -9).
  await gateway(0).publishEvent({ v: RECORD_VERSION, type: 'presence', gatewayId: 'ghost-gateway', at: Date.now(), userIds: [bob.id], final: false });
  await waitFor('Bob online through the ghost', () => aliceLive.of('PresenceChanged').length === 1);
  const onlineAt = Date.now();
  await waitFor('Bob offline', () => aliceLive.of('PresenceChanged').length === 2, 30_000);
  expect(Date.now() - onlineAt).toBeLessThan(30_000);
  expect(aliceLive.of('PresenceChanged')[1].user).toMatchObject({ id: bob.id, online: false });
  await waitFor('lastSeenAt stored by a live gateway', async () => (await gqlOk(gw0, '{ me { lastSeenAt } }', {}, bob.token)).me.lastSeenAt);
}, 60_000);

test('fan-out costs O(1) reads per gateway: a message reaches 50 subscribers of roomEvents and myEvents with no read per subscriber', async () => {
  const [gw0, gw1] = service.urls;
  const owner = await signUp(gw0, 'owner');
  const members: TestUser[] = [];
  for (let i = 0; i < 50; i++) members.push(await signUp(gw1, `m${i}`));
  await Promise.all(members.map((m) => befriend(gw0, owner, m)));
  const roomId = await createRoom(gw0, owner, members.slice(0, 49));
  const rooms = await Promise.all(members.map((m) => myEvents(1, m.token)));
  const streams: Live[] = [];
  for (const m of members.slice(0, 49)) streams.push(await roomEvents(1, m, roomId));
  // The 50th member joins by invitation: their myEvents pick the room up.
  await gqlOk(gw0, 'mutation($r: ID!, $u: [ID!]!) { inviteToRoom(roomId: $r, userIds: $u) { id } }', { r: roomId, u: [members[49].id] }, owner.token);
  await waitFor('everyone has the room', () => rooms.every((r) => r.of('RoomChanged').length >= 1));
  streams.push(await roomEvents(1, members[49], roomId, 1));
  await waitFor('the invitation message everywhere', () => streams.slice(0, 49).every((s) => s.of('MessageAdded').length === 1));

  // Count every statement gateway 1 sends PostgreSQL while one message reaches them all.
  const connection = service.gateways[1].orm.em.getDriver().getConnection();
  const execute = connection.execute.bind(connection);
  let statements = 0;
  connection.execute = ((...args: Parameters<typeof execute>) => {
    statements++;
    return execute(...args);
  }) as typeof connection.execute;
  try {
    const before = rooms.map((r) => r.of('RoomChanged').length);
    await send(gw0, owner, roomId, 'to all');
    await waitFor('50 MessageAdded and 50 RoomChanged', () =>
      streams.every((s) => s.of('MessageAdded').some((e) => e.message.body === 'to all')) && rooms.every((r, i) => r.of('RoomChanged').length > before[i]),
    );
    expect(statements).toBe(0);
    for (const r of rooms) expect(r.of('RoomChanged').at(-1)!.room).toMatchObject({ lastMessage: { body: 'to all', unreadBy: 50 }, unreadCount: 2 });
  } finally {
    connection.execute = execute;
  }
}, 120_000);
