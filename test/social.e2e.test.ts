import { randomUUID } from 'node:crypto';
import {
  SEND_CHAT,
  befriend,
  createRoom,
  gql,
  gqlError,
  gqlOk,
  range,
  serviceForThisFile,
  signUp,
  type TestUser,
} from './support';

// Blocking, the per-user social rate, and pages of the lists other users fill: a worker and two
// gateways over the same topics, one without the social rate (as every test's) and one with 3 a minute.
const service = serviceForThisFile('social', [{}, { SOCIAL_RATE_PER_MINUTE: '3' }]);
let url: string;
let limited: string;
beforeAll(() => {
  [url, limited] = service.urls;
});

const BLOCK = 'mutation($id: ID!) { blockUser(userId: $id) }';
const UNBLOCK = 'mutation($id: ID!) { unblockUser(userId: $id) }';
const ADD_FRIEND = 'mutation($id: ID!) { addFriend(userId: $id) { id } }';
const CREATE_ROOM = 'mutation($ids: [ID!]!) { createRoom(memberIds: $ids) { id } }';
const INVITE = 'mutation($r: ID!, $ids: [ID!]!) { inviteToRoom(roomId: $r, userIds: $ids) { id } }';
const friendIds = async (user: TestUser) => (await gqlOk(url, '{ friends { id } }', {}, user.token)).friends.map((f: { id: string }) => f.id);
const blocked = async (user: TestUser) => (await gqlOk(url, '{ blockedUsers { id } }', {}, user.token)).blockedUsers.map((u: { id: string }) => u.id);

describe('blockUser', () => {
  test('ends the friendship; then the blocked user can neither befriend the blocker nor put them in a room: FORBIDDEN, not naming the block', async () => {
    const [alice, bob, carol] = await Promise.all([signUp(url, 'alice'), signUp(url, 'bob'), signUp(url, 'carol')]);
    await befriend(url, alice, bob);
    await befriend(url, alice, carol);
    const room = await createRoom(url, alice, [carol]);

    expect(await gqlOk(url, BLOCK, { id: alice.id }, bob.token)).toEqual({ blockUser: true });
    expect(await friendIds(alice)).toEqual([carol.id]);
    expect(await friendIds(bob)).toEqual([]);

    for (const [query, variables] of [
      [ADD_FRIEND, { id: bob.id }],
      [CREATE_ROOM, { ids: [bob.id] }],
      [INVITE, { r: room, ids: [bob.id] }],
    ] as const) {
      const refused = await gqlError(url, query, variables, alice.token);
      expect(refused.extensions?.code).toBe('FORBIDDEN');
      expect(refused.message).not.toMatch(/block/i);
    }
    // Nor the other way, until Bob unblocks her.
    expect((await gqlError(url, ADD_FRIEND, { id: alice.id }, bob.token)).extensions?.code).toBe('FORBIDDEN');
    expect(await gqlOk(url, UNBLOCK, { id: alice.id }, bob.token)).toEqual({ unblockUser: true });
    expect(await blocked(bob)).toEqual([]);
    await befriend(url, alice, bob);
    expect(await friendIds(bob)).toEqual([alice.id]);
  });

  test('blocking twice or unblocking someone not blocked changes nothing; blockedUsers lists the most recent first', async () => {
    const [alice, bob, carol] = await Promise.all([signUp(url, 'alice'), signUp(url, 'bob'), signUp(url, 'carol')]);
    await gqlOk(url, BLOCK, { id: bob.id }, alice.token);
    await gqlOk(url, BLOCK, { id: carol.id }, alice.token);
    await gqlOk(url, BLOCK, { id: bob.id }, alice.token);
    expect(await blocked(alice)).toEqual([carol.id, bob.id]);
    expect(await gqlOk(url, UNBLOCK, { id: bob.id }, carol.token)).toEqual({ unblockUser: true });
    expect(await blocked(carol)).toEqual([]);
    expect(await blocked(alice)).toEqual([carol.id, bob.id]);
  });

  test('blocking yourself is BAD_USER_INPUT; an unknown user NOT_FOUND; a malformed id BAD_USER_INPUT', async () => {
    const alice = await signUp(url, 'alice');
    expect((await gqlError(url, BLOCK, { id: alice.id }, alice.token)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gqlError(url, BLOCK, { id: randomUUID() }, alice.token)).extensions?.code).toBe('NOT_FOUND');
    expect((await gqlError(url, BLOCK, { id: 'nope' }, alice.token)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gqlError(url, UNBLOCK, { id: randomUUID() }, alice.token)).extensions?.code).toBe('NOT_FOUND');
  });
});

describe('the social rate (SOCIAL_RATE_PER_MINUTE)', () => {
  test('addFriend, createRoom and inviteToRoom share one bucket per user: past it RATE_LIMITED with retryAfter, nothing done; blockUser is never limited', async () => {
    const [alice, dave] = await Promise.all([signUp(limited, 'alice'), signUp(limited, 'dave')]);
    const others = await Promise.all(range(1, 4).map((i) => signUp(limited, `friend${i}`)));
    await befriend(limited, alice, others[0]);
    await befriend(limited, alice, others[1]);
    await createRoom(limited, alice, [others[0]]);
    for (const [query, variables] of [
      [ADD_FRIEND, { id: others[2].id }],
      [CREATE_ROOM, { ids: [others[1].id] }],
    ] as const) {
      const refused = await gql(limited, query, variables, alice.token);
      expect(refused.errors).toMatchObject([
        {
          message: expect.stringMatching(/^too many friend requests, rooms and invitations: at most 3 at once, then 3 a minute; try again in \d+(\.\d+)? s$/),
          extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
        },
      ]);
      const { retryAfter } = refused.errors![0].extensions as { retryAfter: number };
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(20); // one more at 3 a minute
    }
    // Nothing of the refused ones was done.
    expect((await friendIds(alice)).sort()).toEqual([others[0].id, others[1].id].sort());
    expect((await gqlOk(url, '{ rooms { id } }', {}, alice.token)).rooms).toHaveLength(1);
    // Blocking still works, and others have buckets of their own.
    await gqlOk(limited, BLOCK, { id: others[3].id }, alice.token);
    await befriend(limited, dave, others[3]);
  });
});

describe('pages of the lists other users fill', () => {
  test('friends(first, after) pages by username; without arguments, all of them as before', async () => {
    const alice = await signUp(url, 'alice');
    const others = await Promise.all(range(1, 5).map((i) => signUp(url, `pal${i}`)));
    for (const other of others) await befriend(url, alice, other);
    const all = (await gqlOk(url, '{ friends { id username } }', {}, alice.token)).friends as { id: string; username: string }[];
    expect(all.map((f) => f.username)).toEqual(others.map((o) => o.username).sort());
    const page = async (first: number, after?: string) =>
      (await gqlOk(url, 'query($n: Int, $a: String) { friends(first: $n, after: $a) { id username } }', { n: first, a: after }, alice.token)).friends;
    const one = await page(2);
    const two = await page(2, one[1].username);
    const three = await page(2, two[1].username);
    expect([...one, ...two, ...three]).toEqual(all);
    expect(three).toHaveLength(1);
    expect((await gqlError(url, '{ friends(first: 0) { id } }', {}, alice.token)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gqlError(url, '{ friends(first: 101) { id } }', {}, alice.token)).extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('rooms(first) gives the most recently active first few', async () => {
    const [alice, bob] = await Promise.all([signUp(url, 'alice'), signUp(url, 'bob')]);
    await befriend(url, alice, bob);
    const rooms: string[] = [];
    for (const i of range(1, 3)) rooms.push(await createRoom(url, alice, [bob], `room ${i}`));
    await gqlOk(url, SEND_CHAT, { input: { roomId: rooms[0], body: 'wake up' } }, bob.token);
    const all = (await gqlOk(url, '{ rooms { id } }', {}, alice.token)).rooms.map((r: { id: string }) => r.id);
    expect(all[0]).toBe(rooms[0]);
    expect(all).toHaveLength(3);
    const firstTwo = (await gqlOk(url, '{ rooms(first: 2) { id members { id } } }', {}, alice.token)).rooms.map((r: { id: string }) => r.id);
    expect(firstTwo).toEqual(all.slice(0, 2));
  });

  test('bookmarks(first, after) pages newest bookmark first; an after that is not a bookmark is BAD_USER_INPUT', async () => {
    const [alice, bob] = await Promise.all([signUp(url, 'alice'), signUp(url, 'bob')]);
    await befriend(url, alice, bob);
    const roomId = await createRoom(url, alice, [bob]);
    for (const i of range(1, 5)) {
      const { sendChat } = await gqlOk(url, SEND_CHAT, { input: { roomId, body: `m${i}` } }, alice.token);
      await gqlOk(url, 'mutation($id: ID!) { bookmarkMessage(messageId: $id) { id } }', { id: sendChat.id }, alice.token);
    }
    const all = (await gqlOk(url, '{ bookmarks { id body } }', {}, alice.token)).bookmarks as { id: string; body: string }[];
    expect(all.map((m) => m.body)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    const page = async (first: number, after?: string) =>
      (await gqlOk(url, 'query($n: Int, $a: String) { bookmarks(first: $n, after: $a) { id body } }', { n: first, a: after }, alice.token)).bookmarks;
    const one = await page(2);
    const two = await page(2, one[1].id);
    const three = await page(2, two[1].id);
    expect([...one, ...two, ...three]).toEqual(all);
    const refused = await gqlError(url, 'query($a: String) { bookmarks(first: 2, after: $a) { id } }', { a: randomUUID() }, alice.token);
    expect(refused.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('the whole of a list priced by what it can hold is refused before it runs: every room with its members', async () => {
    const alice = await signUp(url, 'alice');
    const res = await gql(url, '{ rooms { id name members { id username displayName statusMessage } } }', {}, alice.token);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY', limit: 12000 });
    // A page of them passes.
    await gqlOk(url, '{ rooms(first: 20) { id name members { id username displayName statusMessage } } }', {}, alice.token);
  });
});
