import { randomUUID } from 'node:crypto';
import {
  SEND_CHAT,
  befriend,
  createRoom,
  gqlError,
  gqlOk,
  range,
  serviceForThisFile,
  signUp,
  waitFor,
  type TestUser,
} from './support';

// Friends and rooms: membership, invitations, leaving, read markers. One worker, two gateways,
// without a send rate: one test fills 25 rooms with a message each as fast as it can.
const service = serviceForThisFile('rooms', 2, { SEND_RATE_PER_SECOND: '0' });
let urlA: string;
let urlB: string;
beforeAll(() => void ([urlA, urlB] = service.urls));
const watcher = (url: string, token: string) => service.watcher(url, token);

const ROOM_FIELDS = 'id name lastSeq lastReadSeq unreadCount members { id } lastMessage { seq body kind sender { id } }';
const FRIENDS = '{ friends { id } }';

const send = (user: TestUser, roomId: string, body: string) =>
  gqlOk(urlA, SEND_CHAT, { input: { roomId, body } }, user.token).then((d) => d.sendChat as { id: string; seq: number });
const room = (user: TestUser, roomId: string) =>
  gqlOk(urlA, `query($id: ID!) { room(id: $id) { ${ROOM_FIELDS} } }`, { id: roomId }, user.token).then((d) => d.room);
// A page: each room's members are priced at 100, so a whole list of rooms with its members is over the cost limit.
const rooms = (user: TestUser) => gqlOk(urlA, `{ rooms(first: 50) { ${ROOM_FIELDS} } }`, {}, user.token).then((d) => d.rooms);
const markRead = (user: TestUser, roomId: string, seq: number) =>
  gqlOk(urlA, 'mutation($r: ID!, $s: Int!) { markRead(roomId: $r, seq: $s) { lastReadSeq unreadCount } }', { r: roomId, s: seq }, user.token).then(
    (d) => d.markRead,
  );
const INVITE = 'mutation($r: ID!, $ids: [ID!]!) { inviteToRoom(roomId: $r, userIds: $ids) { id members { id } lastSeq } }';
const LEAVE = 'mutation($r: ID!) { leaveRoom(roomId: $r) }';
const ids = (users: { id: string }[]) => users.map((u) => u.id).sort();

async function friends(url: string, ...users: TestUser[]): Promise<void> {
  for (const other of users.slice(1)) await befriend(url, users[0], other);
}

describe('friends', () => {
  test('friendship is mutual, befriending twice is harmless, removing it ends it for both', async () => {
    const [alice, bob] = await Promise.all([signUp(urlA, 'alice'), signUp(urlB, 'bob')]);
    await befriend(urlA, alice, bob);
    await befriend(urlB, alice, bob); // again, through the other gateway
    expect((await gqlOk(urlA, FRIENDS, {}, alice.token)).friends).toEqual([{ id: bob.id }]);
    expect((await gqlOk(urlB, FRIENDS, {}, bob.token)).friends).toEqual([{ id: alice.id }]);

    const removed = await gqlOk(urlB, 'mutation($id: ID!) { removeFriend(userId: $id) }', { id: alice.id }, bob.token);
    expect(removed.removeFriend).toBe(true);
    expect((await gqlOk(urlA, FRIENDS, {}, alice.token)).friends).toEqual([]);
    expect((await gqlOk(urlB, FRIENDS, {}, bob.token)).friends).toEqual([]);
    // Removing someone who is no longer a friend changes nothing.
    expect((await gqlOk(urlA, 'mutation($id: ID!) { removeFriend(userId: $id) }', { id: bob.id }, alice.token)).removeFriend).toBe(true);
  });

  test('befriending yourself, an unknown user or a malformed id is refused', async () => {
    const alice = await signUp(urlA, 'alice');
    const add = (id: string) => gqlError(urlA, 'mutation($id: ID!) { addFriend(userId: $id) { id } }', { id }, alice.token);
    expect((await add(alice.id)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await add(randomUUID())).extensions?.code).toBe('NOT_FOUND');
    expect((await add('not-an-id')).extensions?.code).toBe('BAD_USER_INPUT');
    const remove = (id: string) => gqlError(urlA, 'mutation($id: ID!) { removeFriend(userId: $id) }', { id }, alice.token);
    expect((await remove(randomUUID())).extensions?.code).toBe('NOT_FOUND');
    expect((await remove(alice.id)).extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('a former friend cannot be put in a new room, but rooms already shared stay', async () => {
    const [alice, bob] = await Promise.all([signUp(urlA, 'alice'), signUp(urlA, 'bob')]);
    await befriend(urlA, alice, bob);
    const shared = await createRoom(urlA, alice, [bob]);
    await gqlOk(urlA, 'mutation($id: ID!) { removeFriend(userId: $id) }', { id: bob.id }, alice.token);
    const refused = await gqlError(urlA, 'mutation($ids: [ID!]!) { createRoom(memberIds: $ids) { id } }', { ids: [bob.id] }, alice.token);
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    expect(ids((await room(bob, shared)).members)).toEqual(ids([alice, bob]));
  });
});

describe('rooms', () => {
  test('createRoom: the creator is a member, names are checked, members must be friends', async () => {
    const [alice, bob, carol] = await Promise.all([signUp(urlA, 'alice'), signUp(urlA, 'bob'), signUp(urlA, 'carol')]);
    await befriend(urlA, alice, bob);
    const create = (name: string | null, memberIds: string[]) =>
      gqlError(urlA, 'mutation($n: String, $ids: [ID!]!) { createRoom(name: $n, memberIds: $ids) { id } }', { n: name, ids: memberIds }, alice.token);

    const long = await createRoom(urlA, alice, [bob], 'n'.repeat(100));
    expect(await room(alice, long)).toMatchObject({ name: 'n'.repeat(100), lastSeq: 0, lastMessage: null });
    expect(ids((await room(alice, long)).members)).toEqual(ids([alice, bob]));
    const alone = await gqlOk(urlA, 'mutation { createRoom(memberIds: []) { name members { id } } }', {}, alice.token);
    expect(alone.createRoom).toEqual({ name: 'New room', members: [{ id: alice.id }] });

    expect((await create('n'.repeat(101), [bob.id])).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await create('x', [carol.id])).extensions?.code).toBe('FORBIDDEN');
    expect((await create('x', [randomUUID()])).extensions?.code).toBe('FORBIDDEN');
    expect((await create('x', ['nope'])).extensions?.code).toBe('BAD_USER_INPUT');
    // 100 others and the creator would be 101 members.
    expect((await create('x', range(1, 100).map(() => randomUUID()))).extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('room(id) is for members: FORBIDDEN for others, null when there is no such room', async () => {
    const [alice, bob, eve] = await Promise.all([signUp(urlA, 'alice'), signUp(urlA, 'bob'), signUp(urlA, 'eve')]);
    await befriend(urlA, alice, bob);
    const roomId = await createRoom(urlA, alice, [bob], 'ours');
    expect((await room(bob, roomId)).name).toBe('ours');
    const query = 'query($id: ID!) { room(id: $id) { id } }';
    expect((await gqlError(urlA, query, { id: roomId }, eve.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await gqlOk(urlA, query, { id: randomUUID() }, eve.token)).room).toBeNull();
    expect((await gqlError(urlA, query, { id: 'nope' }, eve.token)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gqlError(urlA, query, { id: roomId })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('rooms: most recently active first, with last message, and unread counts only what others sent', async () => {
    const [alice, bob] = await Promise.all([signUp(urlA, 'alice'), signUp(urlA, 'bob')]);
    await befriend(urlA, alice, bob);
    const older = await createRoom(urlA, alice, [bob], 'older');
    const newer = await createRoom(urlA, alice, [bob], 'newer');
    expect((await rooms(bob)).map((r: { id: string }) => r.id)).toEqual([newer, older]);

    await send(alice, older, 'one');
    await send(alice, older, 'two');
    await send(bob, older, 'mine');
    const [first, second] = await rooms(bob);
    expect(first).toMatchObject({
      id: older,
      lastSeq: 3,
      lastReadSeq: 0,
      unreadCount: 2, // bob's own message is not unread for him
      lastMessage: { seq: 3, body: 'mine', kind: 'TEXT', sender: { id: bob.id } },
    });
    expect(second).toMatchObject({ id: newer, lastSeq: 0, unreadCount: 0, lastMessage: null });
    expect((await rooms(alice))[0]).toMatchObject({ id: older, unreadCount: 1 });
  });

  test('markRead moves the marker forward only, and only up to the newest message', async () => {
    const [alice, bob, eve] = await Promise.all([signUp(urlA, 'alice'), signUp(urlA, 'bob'), signUp(urlA, 'eve')]);
    await befriend(urlA, alice, bob);
    const roomId = await createRoom(urlA, alice, [bob]);
    for (const i of range(1, 4)) await send(alice, roomId, `m${i}`);

    expect(await markRead(bob, roomId, 3)).toEqual({ lastReadSeq: 3, unreadCount: 1 });
    expect(await markRead(bob, roomId, 1)).toEqual({ lastReadSeq: 3, unreadCount: 1 }); // never back
    expect(await markRead(bob, roomId, 4)).toEqual({ lastReadSeq: 4, unreadCount: 0 });
    expect((await room(bob, roomId)).lastReadSeq).toBe(4);
    expect((await room(alice, roomId)).lastReadSeq).toBe(0); // markers are per member

    const mark = (user: TestUser, id: string, seq: number) =>
      gqlError(urlA, 'mutation($r: ID!, $s: Int!) { markRead(roomId: $r, seq: $s) { lastReadSeq } }', { r: id, s: seq }, user.token);
    expect((await mark(bob, roomId, 5)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await mark(bob, roomId, -1)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await mark(eve, roomId, 1)).extensions?.code).toBe('FORBIDDEN');
    expect((await mark(eve, randomUUID(), 1)).extensions?.code).toBe('NOT_FOUND');
  });
});

describe('inviting and leaving', () => {
  test('an invitation posts a SYSTEM message per new member, live, and the newcomer joins in', async () => {
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => signUp(urlA, n)));
    await friends(urlA, alice, bob, carol, dave);
    const roomId = await createRoom(urlA, alice, [bob], 'team');
    await send(alice, roomId, 'before the invitation');
    const bobLive = watcher(urlB, bob.token).watch(roomId, 1);

    const invited = await gqlOk(urlA, INVITE, { r: roomId, ids: [carol.id, dave.id, bob.id] }, alice.token);
    expect(ids(invited.inviteToRoom.members)).toEqual(ids([alice, bob, carol, dave]));
    expect(invited.inviteToRoom.lastSeq).toBe(3); // bob was a member already: no message for him

    await waitFor('the SYSTEM messages live', () => bobLive.messages.length >= 2);
    expect(bobLive.messages.map(({ seq, kind, sender }) => ({ seq, kind, sender }))).toEqual([
      { seq: 2, kind: 'SYSTEM', sender: null },
      { seq: 3, kind: 'SYSTEM', sender: null },
    ]);
    expect(bobLive.messages[0].body).toBe('alice invited carol');

    // The newcomer reads the room and its history, and what came before the invitation is not unread.
    const carolsRoom = await room(carol, roomId);
    expect(carolsRoom).toMatchObject({ lastSeq: 3, lastReadSeq: 1, unreadCount: 2 });
    const history = await gqlOk(urlA, 'query($r: ID!) { messages(roomId: $r) { edges { node { seq kind } } } }', { r: roomId }, carol.token);
    expect(history.messages.edges.map((e: { node: { seq: number } }) => e.node.seq)).toEqual([1, 2, 3]);
    await send(carol, roomId, 'hi all');

    // Inviting members again changes nothing.
    const again = await gqlOk(urlA, INVITE, { r: roomId, ids: [carol.id] }, bob.token);
    expect(again.inviteToRoom.lastSeq).toBe(4);
  });

  test('only members invite, only friends of the inviter can be invited, into rooms that exist', async () => {
    const [alice, bob, eve] = await Promise.all(['alice', 'bob', 'eve'].map((n) => signUp(urlA, n)));
    await befriend(urlA, alice, bob);
    await befriend(urlA, eve, bob);
    const roomId = await createRoom(urlA, alice, []);
    const invite = (user: TestUser, room: string, userIds: string[]) => gqlError(urlA, INVITE, { r: room, ids: userIds }, user.token);
    expect((await invite(eve, roomId, [bob.id])).extensions?.code).toBe('FORBIDDEN'); // eve is not a member
    expect((await invite(alice, roomId, [eve.id])).extensions?.code).toBe('FORBIDDEN'); // eve is not alice's friend
    expect((await invite(alice, roomId, [randomUUID()])).extensions?.code).toBe('FORBIDDEN');
    expect((await invite(alice, randomUUID(), [bob.id])).extensions?.code).toBe('NOT_FOUND');
    expect((await invite(alice, roomId, ['nope'])).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await room(alice, roomId)).lastSeq).toBe(0);
  });

  test('a room holds at most 100 members', async () => {
    const owner = await signUp(urlA, 'owner');
    const others: TestUser[] = [];
    for (const batch of range(1, 10)) {
      others.push(...(await Promise.all(range(1, 10).map((i) => signUp(urlA, `m${batch}_${i}`)))));
    }
    for (const batch of range(0, 9)) await Promise.all(others.slice(batch * 10, batch * 10 + 10).map((o) => befriend(urlA, owner, o)));
    const roomId = await createRoom(urlA, owner, others.slice(0, 99)); // 100 members with the owner
    expect((await room(owner, roomId)).members).toHaveLength(100);
    const refused = await gqlError(urlA, INVITE, { r: roomId, ids: [others[99].id] }, owner.token);
    expect(refused.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toMatch(/at most 100 members/);
    expect((await room(owner, roomId)).members).toHaveLength(100);
  });

  test('after leaving, a member can no longer read, write or watch the room, and their live subscription ends', async () => {
    const [alice, bob] = await Promise.all([signUp(urlA, 'alice'), signUp(urlA, 'bob')]);
    await befriend(urlA, alice, bob);
    const roomId = await createRoom(urlA, alice, [bob], 'short-lived');
    const hello = await send(alice, roomId, 'hello');
    await gqlOk(urlB, 'mutation($id: ID!) { bookmarkMessage(messageId: $id) { id } }', { id: hello.id }, bob.token);
    const aliceLive = watcher(urlA, alice.token).watch(roomId, 0);
    const bobLive = watcher(urlB, bob.token).watch(roomId, 0);
    await waitFor('both see the first message', () => aliceLive.messages.length === 1 && bobLive.messages.length === 1);

    expect((await gqlOk(urlB, LEAVE, { r: roomId }, bob.token)).leaveRoom).toBe(true);
    await waitFor("bob's subscription completes", () => bobLive.completed);
    await send(alice, roomId, 'after bob left');
    await waitFor('alice sees the SYSTEM message and the next one', () => aliceLive.messages.length === 3);
    expect(aliceLive.messages.slice(1).map(({ seq, kind, body, sender }) => ({ seq, kind, body, sender }))).toEqual([
      { seq: 2, kind: 'SYSTEM', body: 'bob left', sender: null },
      { seq: 3, kind: 'TEXT', body: 'after bob left', sender: { id: alice.id } },
    ]);
    expect(bobLive.seqs).toEqual([1]); // nothing from his leaving on
    expect(bobLive.errors).toBeNull();

    const code = async (p: Promise<{ extensions?: { code?: string } }>) => (await p).extensions?.code;
    expect(await code(gqlError(urlA, 'query($r: ID!) { messages(roomId: $r) { edges { cursor } } }', { r: roomId }, bob.token))).toBe('FORBIDDEN');
    expect(await code(gqlError(urlA, SEND_CHAT, { input: { roomId, body: 'still here?' } }, bob.token))).toBe('FORBIDDEN');
    expect(await code(gqlError(urlA, 'query($id: ID!) { room(id: $id) { id } }', { id: roomId }, bob.token))).toBe('FORBIDDEN');
    expect(await code(gqlError(urlA, LEAVE, { r: roomId }, bob.token))).toBe('FORBIDDEN');
    const rewatch = watcher(urlA, bob.token).watch(roomId, 0);
    await waitFor('the new subscription is refused', () => rewatch.errors);
    expect(rewatch.errors![0].extensions?.code).toBe('FORBIDDEN');
    expect(await rooms(bob)).toEqual([]);
    expect((await gqlOk(urlA, '{ bookmarks { id } }', {}, bob.token)).bookmarks).toEqual([]); // his bookmarks there are hidden
    expect(ids((await room(alice, roomId)).members)).toEqual([alice.id]);

    // Invited back, he is a member again.
    await gqlOk(urlA, INVITE, { r: roomId, ids: [bob.id] }, alice.token);
    expect((await room(bob, roomId)).lastSeq).toBe(4);
  });
});

test('rooms is built in the same few queries for 1 room as for 25 (no query per room)', async () => {
  const [alice, bob] = await Promise.all([signUp(urlA, 'alice'), signUp(urlA, 'bob')]);
  await befriend(urlA, alice, bob);
  const connection = service.gateways[0].orm.em.getDriver().getConnection();
  const query = `{ rooms(first: 25) { ${ROOM_FIELDS} lastMessage { bookmarked sender { username } } members { username statusMessage } } }`;
  async function queriesFor(user: TestUser): Promise<{ count: number; rooms: unknown[] }> {
    const spy = jest.spyOn(connection, 'execute');
    try {
      const data = await gqlOk(urlA, query, {}, user.token);
      return { count: spy.mock.calls.length, rooms: data.rooms };
    } finally {
      spy.mockRestore();
    }
  }

  const first = await createRoom(urlA, alice, [bob]);
  await send(bob, first, 'hello');
  const one = await queriesFor(alice);
  expect(one.rooms).toHaveLength(1);

  for (const i of range(2, 25)) {
    const roomId = await createRoom(urlA, alice, [bob], `room ${i}`);
    await send(bob, roomId, `hello ${i}`);
  }
  const many = await queriesFor(alice);
  expect(many.rooms).toHaveLength(25);
  expect(many.rooms.every((r: any) => r.members.length === 2 && r.lastMessage.sender.username === bob.username && r.unreadCount === 1)).toBe(true);
  expect(many.count).toBe(one.count);
  expect(many.count).toBeLessThanOrEqual(5); // token check, rooms, members, last messages, unread counts
});
