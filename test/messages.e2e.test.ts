import { randomUUID } from 'node:crypto';
import {
  SEND_CHAT,
  createRoom,
  gqlError,
  gqlOk,
  range,
  roomOfTwo as roomOfTwoOn,
  serviceForThisFile,
  signUp,
  waitFor,
  wsRequest,
  type TestUser,
} from './support';

// One worker and one gateway over topics of their own; no send rate, as the history tests send 120 messages in batches of 10.
const service = serviceForThisFile('messages', 1, { SEND_RATE_PER_SECOND: '0' });
let url: string;
beforeAll(() => void ([url] = service.urls));
const watcher = (token: string | null) => service.watcher(url, token);
const roomOfTwo = () => roomOfTwoOn(url);

interface SendInput {
  roomId: string;
  body: string;
  clientMessageId?: string;
  attachment?: { name: string; contentType: string; size: number; url: string };
}

const SEND_FULL = `mutation($input: SendChatInput!) {
  sendChat(input: $input) {
    id roomId seq kind body clientMessageId bookmarked sender { id }
    attachment { name contentType size url }
  }
}`;

const send = async (user: TestUser, input: SendInput) => (await gqlOk(url, SEND_FULL, { input }, user.token)).sendChat;
const sendText = (user: TestUser, roomId: string, body: string) => send(user, { roomId, body });
const sendError = async (user: TestUser, input: SendInput) => (await gqlError(url, SEND_FULL, { input }, user.token)).extensions?.code;

const HISTORY = `query($roomId: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  messages(roomId: $roomId, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id seq kind body bookmarked clientMessageId attachment { name contentType size url } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface HistoryArgs {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}
interface Edge {
  cursor: string;
  node: { id: string; seq: number; kind: string; body: string; bookmarked: boolean; clientMessageId: string | null; attachment: unknown };
}
interface Connection {
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const history = async (user: TestUser, roomId: string, args: HistoryArgs = {}): Promise<Connection> =>
  (await gqlOk(url, HISTORY, { roomId, ...args }, user.token)).messages;
const historyError = async (user: TestUser, roomId: string, args: HistoryArgs = {}) =>
  (await gqlError(url, HISTORY, { roomId, ...args }, user.token)).extensions?.code;
const seqsOf = (page: Connection) => page.edges.map((e) => e.node.seq);

const lastSeqOf = async (user: TestUser, roomId: string): Promise<number> =>
  (await gqlOk(url, 'query($id: ID!) { room(id: $id) { lastSeq } }', { id: roomId }, user.token)).room.lastSeq;

const BOOKMARK = 'mutation($id: ID!) { bookmarkMessage(messageId: $id) { id seq body bookmarked } }';
const UNBOOKMARK = 'mutation($id: ID!) { unbookmarkMessage(messageId: $id) { id seq body bookmarked } }';
const BOOKMARKS = '{ bookmarks { id body bookmarked } }';

const attachment = { name: 'report.pdf', contentType: 'application/pdf', size: 12345, url: 'https://files.example.com/r/report.pdf' };

describe('sendChat limits', () => {
  test('a body of 4000 characters is accepted, 4001 is BAD_USER_INPUT', async () => {
    const { alice, roomId } = await roomOfTwo();
    const longest = 'x'.repeat(4000);
    const sent = await sendText(alice, roomId, longest);
    expect(sent.body).toBe(longest);
    expect(sent.kind).toBe('TEXT');
    expect(await sendError(alice, { roomId, body: 'y'.repeat(4001) })).toBe('BAD_USER_INPUT');
    expect(await lastSeqOf(alice, roomId)).toBe(1);
  });

  test('an empty body without an attachment is BAD_USER_INPUT', async () => {
    const { alice, roomId } = await roomOfTwo();
    expect(await sendError(alice, { roomId, body: '' })).toBe('BAD_USER_INPUT');
    expect(await lastSeqOf(alice, roomId)).toBe(0);
  });

  test('a clientMessageId of 64 characters is accepted and echoed, 65 is BAD_USER_INPUT', async () => {
    const { alice, roomId } = await roomOfTwo();
    const key = 'k'.repeat(64);
    const sent = await send(alice, { roomId, body: 'hi', clientMessageId: key });
    expect(sent.clientMessageId).toBe(key);
    expect(await sendError(alice, { roomId, body: 'hi', clientMessageId: 'k'.repeat(65) })).toBe('BAD_USER_INPUT');
    expect(await lastSeqOf(alice, roomId)).toBe(1);
  });

  test('roomId "nope" is BAD_USER_INPUT, an unknown room NOT_FOUND, a room of others FORBIDDEN', async () => {
    const { roomId } = await roomOfTwo();
    const mallory = await signUp(url, 'mallory');
    expect(await sendError(mallory, { roomId: 'nope', body: 'hi' })).toBe('BAD_USER_INPUT');
    expect(await sendError(mallory, { roomId: randomUUID(), body: 'hi' })).toBe('NOT_FOUND');
    expect(await sendError(mallory, { roomId, body: 'hi' })).toBe('FORBIDDEN');
  });
});

describe('file messages', () => {
  test('an attachment with an empty body makes a FILE message, echoed back and kept in history', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const sent = await send(alice, { roomId, body: '', attachment });
    expect(sent).toMatchObject({ roomId, seq: 1, kind: 'FILE', body: '', attachment, sender: { id: alice.id } });

    const page = await history(bob, roomId);
    expect(page.edges.map((e) => e.node)).toEqual([expect.objectContaining({ id: sent.id, seq: 1, kind: 'FILE', body: '', attachment })]);
  });

  test('an attachment url that is not http(s) or not a URL is BAD_USER_INPUT', async () => {
    const { alice, roomId } = await roomOfTwo();
    expect(await sendError(alice, { roomId, body: '', attachment: { ...attachment, url: 'ftp://x/y' } })).toBe('BAD_USER_INPUT');
    expect(await sendError(alice, { roomId, body: '', attachment: { ...attachment, url: 'not a url' } })).toBe('BAD_USER_INPUT');
    expect(await lastSeqOf(alice, roomId)).toBe(0);
  });

  test('an attachment size of -1 is BAD_USER_INPUT, 0 is accepted', async () => {
    const { alice, roomId } = await roomOfTwo();
    expect(await sendError(alice, { roomId, body: '', attachment: { ...attachment, size: -1 } })).toBe('BAD_USER_INPUT');
    const empty = await send(alice, { roomId, body: 'empty file', attachment: { ...attachment, size: 0 } });
    expect(empty).toMatchObject({ seq: 1, kind: 'FILE', body: 'empty file', attachment: { ...attachment, size: 0 } });
  });
});

describe('clientMessageId idempotency', () => {
  test('the same key sent 5 times concurrently yields one message, the same for every send', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const key = `key-${randomUUID()}`;
    const results = await Promise.all(range(1, 5).map(() => send(alice, { roomId, body: 'once', clientMessageId: key })));
    const first = results[0];
    expect(first).toMatchObject({ seq: 1, body: 'once', clientMessageId: key });
    for (const r of results) expect({ id: r.id, seq: r.seq }).toEqual({ id: first.id, seq: first.seq });

    expect(await lastSeqOf(bob, roomId)).toBe(1);
    const page = await history(bob, roomId);
    expect(page.edges.map((e) => e.node.id)).toEqual([first.id]);
  });

  test('the same key in another room makes a separate message', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const otherRoom = await createRoom(url, alice, [bob], 'other');
    const key = `key-${randomUUID()}`;
    const inFirst = await send(alice, { roomId, body: 'here', clientMessageId: key });
    const inOther = await send(alice, { roomId: otherRoom, body: 'there', clientMessageId: key });
    expect(inOther.id).not.toBe(inFirst.id);
    expect(inOther).toMatchObject({ roomId: otherRoom, seq: 1, body: 'there', clientMessageId: key });
    expect(seqsOf(await history(alice, otherRoom))).toEqual([1]);
    expect(seqsOf(await history(alice, roomId))).toEqual([1]);
  });

  test('a later sequential resend returns the first message', async () => {
    const { alice, roomId } = await roomOfTwo();
    const key = `key-${randomUUID()}`;
    const first = await send(alice, { roomId, body: 'original', clientMessageId: key });
    await sendText(alice, roomId, 'in between');
    const again = await send(alice, { roomId, body: 'changed on resend', clientMessageId: key });
    expect(again).toMatchObject({ id: first.id, seq: 1, body: 'original', clientMessageId: key });
    expect(seqsOf(await history(alice, roomId))).toEqual([1, 2]);
  });
});

describe('history pages', () => {
  let alice: TestUser;
  let roomId: string;

  beforeAll(async () => {
    ({ alice, roomId } = await roomOfTwo());
    // 120 messages in batches of 10; each batch is applied before the next is sent.
    for (let batch = 0; batch < 12; batch += 1) {
      await Promise.all(range(1, 10).map((i) => sendText(alice, roomId, `m ${batch * 10 + i}`)));
    }
    expect(await lastSeqOf(alice, roomId)).toBe(120);
  }, 120_000);

  test('without arguments: the newest 50, with a previous page and no next page', async () => {
    const page = await history(alice, roomId);
    expect(seqsOf(page)).toEqual(range(71, 120));
    for (const edge of page.edges) expect(typeof edge.cursor).toBe('string');
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect(page.pageInfo.startCursor).toBe(page.edges[0].cursor);
    expect(page.pageInfo.endCursor).toBe(page.edges[49].cursor);
    // Every message is there once, whatever order the batches were applied in.
    const all = [...(await history(alice, roomId, { first: 100 })).edges, ...(await history(alice, roomId, { last: 20 })).edges];
    expect(new Set(all.map((e) => e.node.body))).toEqual(new Set(range(1, 120).map((i) => `m ${i}`)));
  });

  test('last: 50 is the same as no arguments', async () => {
    const page = await history(alice, roomId, { last: 50 });
    expect(page).toEqual(await history(alice, roomId));
    expect(seqsOf(page)).toEqual(range(71, 120));
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  test('first: 10 gives 1..10, and first: 10 after its endCursor gives 11..20', async () => {
    const page = await history(alice, roomId, { first: 10 });
    expect(seqsOf(page)).toEqual(range(1, 10));
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(typeof page.pageInfo.endCursor).toBe('string');

    const next = await history(alice, roomId, { first: 10, after: page.pageInfo.endCursor! });
    expect(seqsOf(next)).toEqual(range(11, 20));
    // Relay leaves hasPreviousPage open when paging forward; only hasNextPage is required here.
    expect(next.pageInfo.hasNextPage).toBe(true);
  });

  test('last: 10 before "71" gives 61..70', async () => {
    const page = await history(alice, roomId, { last: 10, before: '71' });
    expect(seqsOf(page)).toEqual(range(61, 70));
    // Relay leaves hasNextPage open when paging backward; only hasPreviousPage is required here.
    expect(page.pageInfo.hasPreviousPage).toBe(true);
  });

  test('first: 100 works; first: 101, last: 101 and first: 0 are BAD_USER_INPUT', async () => {
    const page = await history(alice, roomId, { first: 100 });
    expect(seqsOf(page)).toEqual(range(1, 100));
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(await historyError(alice, roomId, { first: 101 })).toBe('BAD_USER_INPUT');
    expect(await historyError(alice, roomId, { last: 101 })).toBe('BAD_USER_INPUT');
    expect(await historyError(alice, roomId, { first: 0 })).toBe('BAD_USER_INPUT');
  });

  test('first and last together are BAD_USER_INPUT', async () => {
    expect(await historyError(alice, roomId, { first: 10, last: 10 })).toBe('BAD_USER_INPUT');
  });

  test('after: "abc" is BAD_USER_INPUT', async () => {
    expect(await historyError(alice, roomId, { first: 10, after: 'abc' })).toBe('BAD_USER_INPUT');
  });

  test('a non-member asking is FORBIDDEN; an unknown room is NOT_FOUND', async () => {
    const mallory = await signUp(url, 'mallory');
    expect(await historyError(mallory, roomId)).toBe('FORBIDDEN');
    expect(await historyError(mallory, randomUUID())).toBe('NOT_FOUND');
  });

  test('an empty room has no edges and neither a next nor a previous page', async () => {
    const { alice: owner, roomId: empty } = await roomOfTwo();
    for (const args of [{}, { first: 10 }, { last: 10 }]) {
      const page = await history(owner, empty, args);
      expect(page.edges).toEqual([]);
      expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    }
  });
});

describe('bookmarks', () => {
  test('bookmarkMessage returns the message bookmarked; bookmarks lists newest bookmark first', async () => {
    const { alice, roomId } = await roomOfTwo();
    const a = await sendText(alice, roomId, 'a');
    const b = await sendText(alice, roomId, 'b');
    const c = await sendText(alice, roomId, 'c');
    for (const m of [a, b, c]) {
      const marked = (await gqlOk(url, BOOKMARK, { id: m.id }, alice.token)).bookmarkMessage;
      expect(marked).toEqual({ id: m.id, seq: m.seq, body: m.body, bookmarked: true });
    }
    const list = (await gqlOk(url, BOOKMARKS, {}, alice.token)).bookmarks;
    expect(list).toEqual([
      { id: c.id, body: 'c', bookmarked: true },
      { id: b.id, body: 'b', bookmarked: true },
      { id: a.id, body: 'a', bookmarked: true },
    ]);
  });

  test('history and rooms.lastMessage show bookmarked for the viewer only', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const first = await sendText(bob, roomId, 'first');
    const last = await sendText(bob, roomId, 'last');
    await gqlOk(url, BOOKMARK, { id: last.id }, alice.token);

    const flags = async (user: TestUser) => (await history(user, roomId)).edges.map((e) => [e.node.id, e.node.bookmarked]);
    expect(await flags(alice)).toEqual([
      [first.id, false],
      [last.id, true],
    ]);
    expect(await flags(bob)).toEqual([
      [first.id, false],
      [last.id, false],
    ]);

    const ROOMS = '{ rooms { id lastMessage { id bookmarked } } }';
    expect((await gqlOk(url, ROOMS, {}, alice.token)).rooms).toEqual([{ id: roomId, lastMessage: { id: last.id, bookmarked: true } }]);
    expect((await gqlOk(url, ROOMS, {}, bob.token)).rooms).toEqual([{ id: roomId, lastMessage: { id: last.id, bookmarked: false } }]);
    expect((await gqlOk(url, BOOKMARKS, {}, bob.token)).bookmarks).toEqual([]);
  });

  test('bookmarking twice is harmless: still one entry', async () => {
    const { alice, roomId } = await roomOfTwo();
    const m = await sendText(alice, roomId, 'twice');
    const once = (await gqlOk(url, BOOKMARK, { id: m.id }, alice.token)).bookmarkMessage;
    const twice = (await gqlOk(url, BOOKMARK, { id: m.id }, alice.token)).bookmarkMessage;
    expect(once.bookmarked).toBe(true);
    expect(twice).toEqual(once);
    expect((await gqlOk(url, BOOKMARKS, {}, alice.token)).bookmarks).toEqual([{ id: m.id, body: 'twice', bookmarked: true }]);
  });

  test('unbookmarkMessage returns bookmarked false and removes it from bookmarks', async () => {
    const { alice, roomId } = await roomOfTwo();
    const keep = await sendText(alice, roomId, 'keep');
    const drop = await sendText(alice, roomId, 'drop');
    await gqlOk(url, BOOKMARK, { id: keep.id }, alice.token);
    await gqlOk(url, BOOKMARK, { id: drop.id }, alice.token);
    const unmarked = (await gqlOk(url, UNBOOKMARK, { id: drop.id }, alice.token)).unbookmarkMessage;
    expect(unmarked).toEqual({ id: drop.id, seq: drop.seq, body: 'drop', bookmarked: false });
    expect((await gqlOk(url, BOOKMARKS, {}, alice.token)).bookmarks).toEqual([{ id: keep.id, body: 'keep', bookmarked: true }]);
    const page = await history(alice, roomId);
    expect(page.edges.map((e) => [e.node.body, e.node.bookmarked])).toEqual([
      ['keep', true],
      ['drop', false],
    ]);
  });

  test('an unknown message is NOT_FOUND, a bad id BAD_USER_INPUT, a message of a room of others FORBIDDEN', async () => {
    const { alice, roomId } = await roomOfTwo();
    const m = await sendText(alice, roomId, 'private');
    const mallory = await signUp(url, 'mallory');
    expect((await gqlError(url, BOOKMARK, { id: randomUUID() }, alice.token)).extensions?.code).toBe('NOT_FOUND');
    expect((await gqlError(url, UNBOOKMARK, { id: randomUUID() }, alice.token)).extensions?.code).toBe('NOT_FOUND');
    expect((await gqlError(url, BOOKMARK, { id: 'nope' }, alice.token)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gqlError(url, BOOKMARK, { id: m.id }, mallory.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await gqlOk(url, BOOKMARKS, {}, mallory.token)).bookmarks).toEqual([]);
  });

  test("a subscription with afterSeq replays stored messages with the viewer's bookmarked flag", async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    for (const body of ['one', 'two', 'three']) await sendText(alice, roomId, body);
    const two = (await history(bob, roomId)).edges[1].node;
    await gqlOk(url, BOOKMARK, { id: two.id }, bob.token);

    const bobs = watcher(bob.token).watch(roomId, 0);
    const alices = watcher(alice.token).watch(roomId, 0);
    for (const w of [bobs, alices]) await waitFor('the replayed messages', () => w.messages.length >= 3 || w.errors);
    expect(bobs.errors).toBeNull();
    expect(alices.errors).toBeNull();
    expect(bobs.messages.map((m) => [m.seq, m.body, m.bookmarked])).toEqual([
      [1, 'one', false],
      [2, 'two', true],
      [3, 'three', false],
    ]);
    expect(alices.messages.map((m) => [m.seq, m.bookmarked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
  });
});

describe('over graphql-ws', () => {
  test('sendChat as a mutation over the socket works and the message appears in history', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const result = await wsRequest(url, alice.token, SEND_CHAT, { input: { roomId, body: 'over the socket', clientMessageId: 'ws-1' } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.sendChat).toMatchObject({ seq: 1, body: 'over the socket', clientMessageId: 'ws-1', sender: { id: alice.id } });
    const page = await history(bob, roomId);
    expect(page.edges.map((e) => [e.node.id, e.node.body])).toEqual([[result.data.sendChat.id, 'over the socket']]);

    const refused = await wsRequest(url, alice.token, SEND_CHAT, { input: { roomId, body: '' } });
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
