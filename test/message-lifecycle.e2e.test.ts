import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { parseChatEvent, type MessageRecord } from '../src/contracts/records';
import { befriend, createRoom, gqlError, gqlOk, roomOfTwo as roomOfTwoOn, serviceForThisFile, signUp, waitFor, type TestUser } from './support';

// Replies, edits, deletions, reactions and search, through the gateway, the worker and the events topic.
const service = serviceForThisFile('lifecycle', 1, { SEND_RATE_PER_SECOND: '0' });
let url: string;
beforeAll(() => void ([url] = service.urls));
const roomOfTwo = () => roomOfTwoOn(url);

const FIELDS = `id roomId seq kind body bookmarked version editedAt deleted
  attachment { name } sender { id }
  reactions { emoji count byViewer }
  replyTo { id seq body deleted attachment { name } sender { id } }`;

interface Msg {
  id: string;
  roomId: string;
  seq: number;
  kind: string;
  body: string;
  bookmarked: boolean;
  version: number;
  editedAt: string | null;
  deleted: boolean;
  attachment: { name: string } | null;
  reactions: { emoji: string; count: number; byViewer: boolean }[];
  replyTo: { id: string; seq: number; body: string; deleted: boolean; attachment: { name: string } | null } | null;
}

const SEND = `mutation($input: SendChatInput!) { sendChat(input: $input) { ${FIELDS} } }`;
const EDIT = `mutation($id: ID!, $body: String!) { editMessage(messageId: $id, body: $body) { ${FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteMessage(messageId: $id) { ${FIELDS} } }`;
const REACT = `mutation($id: ID!, $emoji: String!) { addReaction(messageId: $id, emoji: $emoji) { ${FIELDS} } }`;
const UNREACT = `mutation($id: ID!, $emoji: String!) { removeReaction(messageId: $id, emoji: $emoji) { ${FIELDS} } }`;
const HISTORY = `query($roomId: ID!) { messages(roomId: $roomId, last: 100) { edges { node { ${FIELDS} } } } }`;
const BOOKMARK = 'mutation($id: ID!) { bookmarkMessage(messageId: $id) { id } }';
const BOOKMARKS = '{ bookmarks { id body deleted attachment { name } } }';
const SEARCH = `query($q: String!, $roomId: ID, $first: Int, $after: String) {
  searchMessages(query: $q, roomId: $roomId, first: $first, after: $after) {
    edges { cursor node { id body } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;

const attachment = { name: 'plan.pdf', contentType: 'application/pdf', size: 10, url: 'https://files.example.com/plan.pdf' };

async function send(user: TestUser, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<Msg> {
  return (await gqlOk(url, SEND, { input: { roomId, body, ...extra } }, user.token)).sendChat;
}
const edit = async (user: TestUser, id: string, body: string): Promise<Msg> => (await gqlOk(url, EDIT, { id, body }, user.token)).editMessage;
const del = async (user: TestUser, id: string): Promise<Msg> => (await gqlOk(url, DELETE, { id }, user.token)).deleteMessage;
const react = async (user: TestUser, id: string, emoji: string): Promise<Msg> => (await gqlOk(url, REACT, { id, emoji }, user.token)).addReaction;
const unreact = async (user: TestUser, id: string, emoji: string): Promise<Msg> =>
  (await gqlOk(url, UNREACT, { id, emoji }, user.token)).removeReaction;
const errorCode = async (query: string, variables: Record<string, unknown>, user: TestUser) =>
  (await gqlError(url, query, variables, user.token)).extensions?.code;
async function history(user: TestUser, roomId: string): Promise<Msg[]> {
  return (await gqlOk(url, HISTORY, { roomId }, user.token)).messages.edges.map((e: { node: Msg }) => e.node);
}
const inHistory = async (user: TestUser, roomId: string, id: string) => (await history(user, roomId)).find((m) => m.id === id)!;
async function search(user: TestUser, q: string, args: Record<string, unknown> = {}) {
  return (await gqlOk(url, SEARCH, { q, ...args }, user.token)).searchMessages as {
    edges: { cursor: string; node: { id: string; body: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}
const searchIds = async (user: TestUser, q: string, args: Record<string, unknown> = {}) => (await search(user, q, args)).edges.map((e) => e.node.id);

/** The events topic read from its start by a consumer of the test's own: what the worker published. */
let events: Consumer;
const published: MessageRecord[] = [];
beforeAll(async () => {
  const topics = await service.worker!.admin.listTopics();
  const topic = topics.find((t) => t.startsWith('t.lifecycle.') && t.endsWith('.messages'))!;
  events = service.worker!.kafka.consumer({ groupId: `lifecycle-test-${randomUUID()}` });
  await events.connect();
  await events.subscribe({ topic, fromBeginning: true });
  await events.run({
    eachMessage: async ({ message }) => {
      const event = parseChatEvent(message.value);
      if (event?.type === 'message-changed') published.push(event.message);
    },
  });
});
afterAll(async () => {
  await events?.disconnect();
});
const changesOf = (id: string) => published.filter((m) => m.id === id);

describe('replies', () => {
  test('a reply carries the original; history shows it as it is now, and a deleted original with its text gone', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const original = await send(alice, roomId, 'lunch at noon?', { attachment });
    const reply = await send(bob, roomId, 'yes', { replyToId: original.id });
    expect(reply.replyTo).toMatchObject({ id: original.id, seq: original.seq, body: 'lunch at noon?', deleted: false, attachment: { name: 'plan.pdf' } });
    await edit(alice, original.id, 'lunch at one?');
    expect((await inHistory(bob, roomId, reply.id)).replyTo).toMatchObject({ body: 'lunch at one?' });
    await del(alice, original.id);
    expect((await inHistory(bob, roomId, reply.id)).replyTo).toMatchObject({ id: original.id, body: '', deleted: true, attachment: null });
  });

  test('a reply to a message of another room is BAD_USER_INPUT; to no message, NOT_FOUND', async () => {
    const { alice, roomId } = await roomOfTwo();
    const other = await roomOfTwo();
    const elsewhere = await send(other.alice, other.roomId, 'hi');
    expect(await errorCode(SEND, { input: { roomId, body: 'x', replyToId: elsewhere.id } }, alice)).toBe('BAD_USER_INPUT');
    expect(await errorCode(SEND, { input: { roomId, body: 'x', replyToId: randomUUID() } }, alice)).toBe('NOT_FOUND');
    expect(await errorCode(SEND, { input: { roomId, body: 'x', replyToId: 'nope' } }, alice)).toBe('BAD_USER_INPUT');
  });
});

describe('edits', () => {
  test('the sender edits: new body, editedAt, version 2; history shows it and the change is published', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const sent = await send(alice, roomId, 'helo');
    expect(sent).toMatchObject({ version: 1, editedAt: null, deleted: false, reactions: [], replyTo: null });
    const edited = await edit(alice, sent.id, 'hello');
    expect(edited).toMatchObject({ id: sent.id, seq: sent.seq, body: 'hello', version: 2 });
    expect(Date.parse(edited.editedAt!)).toBeGreaterThanOrEqual(Date.parse('2026-01-01'));
    expect(await inHistory(bob, roomId, sent.id)).toMatchObject({ body: 'hello', version: 2, editedAt: edited.editedAt });
    const [change] = await waitFor('the edit on the events topic', () => changesOf(sent.id).length === 1 && changesOf(sent.id));
    expect(change).toMatchObject({ roomId, seq: sent.seq, body: 'hello', version: 2, editedAt: edited.editedAt, deleted: false });
    // The same body again changes nothing.
    expect(await edit(alice, sent.id, 'hello')).toMatchObject({ version: 2 });
  });

  test('others cannot edit (FORBIDDEN); the limits of sendChat hold; an unknown message is NOT_FOUND', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const sent = await send(alice, roomId, 'mine');
    expect(await errorCode(EDIT, { id: sent.id, body: 'theirs' }, bob)).toBe('FORBIDDEN');
    expect(await errorCode(EDIT, { id: sent.id, body: '   ' }, alice)).toBe('BAD_USER_INPUT');
    expect(await errorCode(EDIT, { id: sent.id, body: 'x'.repeat(4001) }, alice)).toBe('BAD_USER_INPUT');
    expect(await errorCode(EDIT, { id: randomUUID(), body: 'x' }, alice)).toBe('NOT_FOUND');
    const system = (await history(alice, roomId)).find((m) => m.kind === 'SYSTEM');
    if (system) expect(await errorCode(EDIT, { id: system.id, body: 'x' }, alice)).toBe('FORBIDDEN');
  });
});

describe('deletes', () => {
  test('a tombstone everywhere: history, bookmarks, search and the events topic; twice is fine; no edit after', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const sent = await send(alice, roomId, 'secret platypus plans', { attachment });
    await gqlOk(url, BOOKMARK, { id: sent.id }, bob.token);
    await react(bob, sent.id, '👍');
    expect(await searchIds(bob, 'platypus')).toEqual([sent.id]);
    const deleted = await del(alice, sent.id);
    expect(deleted).toMatchObject({ id: sent.id, seq: sent.seq, body: '', attachment: null, deleted: true, reactions: [], version: 3, sender: { id: alice.id } });
    expect(await inHistory(bob, roomId, sent.id)).toMatchObject({ body: '', attachment: null, deleted: true, seq: sent.seq });
    const { bookmarks } = await gqlOk(url, BOOKMARKS, {}, bob.token);
    expect(bookmarks).toEqual([{ id: sent.id, body: '', deleted: true, attachment: null }]);
    expect(await searchIds(bob, 'platypus')).toEqual([]);
    await waitFor('the deletion on the events topic', () => changesOf(sent.id).some((m) => m.deleted));
    expect(changesOf(sent.id).find((m) => m.deleted)).toMatchObject({ body: '', attachment: null, version: 3 });
    expect(await del(alice, sent.id)).toMatchObject({ deleted: true, version: 3 });
    expect(await errorCode(EDIT, { id: sent.id, body: 'back' }, alice)).toBe('BAD_USER_INPUT');
    expect(await errorCode(REACT, { id: sent.id, emoji: '👍' }, bob)).toBe('BAD_USER_INPUT');
  });

  test('only the sender deletes', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const sent = await send(alice, roomId, 'mine');
    expect(await errorCode(DELETE, { id: sent.id }, bob)).toBe('FORBIDDEN');
  });
});

describe('reactions', () => {
  test('20 users reacting at once end with count 20 and version 21; none is lost', async () => {
    const owner = await signUp(url, 'owner');
    const others = await Promise.all(Array.from({ length: 19 }, () => signUp(url, 'fan')));
    await Promise.all(others.map((o) => befriend(url, owner, o)));
    const roomId = await createRoom(url, owner, others);
    const sent = await send(owner, roomId, 'react to me');
    await Promise.all([owner, ...others].map((u) => react(u, sent.id, '🎉')));
    const seen = await inHistory(owner, roomId, sent.id);
    expect(seen).toMatchObject({ version: 21, reactions: [{ emoji: '🎉', count: 20, byViewer: true }] });
    // Each change was published with the message as it was then: versions 2 to 21, the last with 20 reactors.
    const changes = await waitFor('20 changes on the events topic', () => changesOf(sent.id).length === 20 && changesOf(sent.id));
    expect(changes.map((m) => m.version).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(changes.find((m) => m.version === 21)!.reactions).toEqual([{ emoji: '🎉', userIds: expect.arrayContaining([owner.id, ...others.map((o) => o.id)]) }]);
  }, 60_000);

  test('reacting twice changes nothing; byViewer is per viewer; removing; ordered by count; bad emoji and strangers refused', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const sent = await send(alice, roomId, 'nice');
    await react(bob, sent.id, '👍');
    expect(await react(bob, sent.id, '👍')).toMatchObject({ version: 2, reactions: [{ emoji: '👍', count: 1, byViewer: true }] });
    await react(alice, sent.id, '❤️');
    const both = await react(bob, sent.id, '❤️');
    expect(both.reactions).toEqual([
      { emoji: '❤️', count: 2, byViewer: true },
      { emoji: '👍', count: 1, byViewer: true },
    ]);
    expect((await inHistory(alice, roomId, sent.id)).reactions).toEqual([
      { emoji: '❤️', count: 2, byViewer: true },
      { emoji: '👍', count: 1, byViewer: false },
    ]);
    expect((await unreact(bob, sent.id, '👍')).reactions).toEqual([{ emoji: '❤️', count: 2, byViewer: true }]);
    expect(await unreact(bob, sent.id, '👍')).toMatchObject({ version: 5 });
    for (const emoji of ['a', '👍👍', '', '1']) expect(await errorCode(REACT, { id: sent.id, emoji }, bob)).toBe('BAD_USER_INPUT');
    const stranger = await signUp(url, 'stranger');
    expect(await errorCode(REACT, { id: sent.id, emoji: '👍' }, stranger)).toBe('FORBIDDEN');
    expect(await errorCode(REACT, { id: randomUUID(), emoji: '👍' }, bob)).toBe('NOT_FOUND');
  });
});

describe('searchMessages', () => {
  test('finds inflected forms, best match first, only in rooms the viewer is a member of now', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const word = `zq${randomUUID().slice(0, 6)}`;
    const once = await send(alice, roomId, `I went running with ${word} today, which was a long outing for everyone involved`);
    const thrice = await send(bob, roomId, `${word} runs, ${word} ran, ${word} run`);
    const other = await roomOfTwo();
    await send(other.alice, other.roomId, `${word} in a room Alice is not in`);
    expect(await searchIds(alice, `${word} run`)).toEqual([thrice.id, once.id]);
    expect(await searchIds(alice, `${word} run`, { roomId })).toEqual([thrice.id, once.id]);
    expect(await errorCode(SEARCH, { q: word, roomId: other.roomId }, alice)).toBe('FORBIDDEN');
    // "running" finds "run": English stemming.
    expect(await searchIds(alice, `running ${word}`)).toContain(thrice.id);
    await gqlOk(url, 'mutation($id: ID!) { leaveRoom(roomId: $id) }', { id: roomId }, bob.token);
    expect(await searchIds(bob, word)).toEqual([]);
  });

  test('an edited message is found by its new words only; the query is plain words, never a query language', async () => {
    const { alice, roomId } = await roomOfTwo();
    const before = `zb${randomUUID().slice(0, 6)}`;
    const after = `za${randomUUID().slice(0, 6)}`;
    const sent = await send(alice, roomId, `the ${before} version`);
    await edit(alice, sent.id, `the ${after} version`);
    expect(await searchIds(alice, before)).toEqual([]);
    expect(await searchIds(alice, after)).toEqual([sent.id]);
    // Operators and quotes are words or nothing, never an error.
    for (const q of [`"${after}`, `${after} & | ! (`, `-${before} ${after}`, '(((', ':*']) {
      expect((await gql(q, alice)).errors).toBeUndefined();
    }
    expect(await errorCode(SEARCH, { q: '   ' }, alice)).toBe('BAD_USER_INPUT');
  });

  test('pages of 1-100 with cursors: every match once, in order', async () => {
    const { alice, roomId } = await roomOfTwo();
    const word = `zp${randomUUID().slice(0, 6)}`;
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await send(alice, roomId, `${word} ${'x '.repeat(i)}`)).id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const result = await search(alice, word, { first: 2, after });
      seen.push(...result.edges.map((e) => e.node.id));
      expect(result.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(sent));
    expect(seen).toEqual(await searchIds(alice, word, { first: 100 }));
    for (const first of [0, 101]) expect(await errorCode(SEARCH, { q: word, first }, alice)).toBe('BAD_USER_INPUT');
    expect(await errorCode(SEARCH, { q: word, after: 'garbage' }, alice)).toBe('BAD_USER_INPUT');
  });
});

async function gql(q: string, user: TestUser) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ query: SEARCH, variables: { q } }),
  });
  return (await res.json()) as { errors?: unknown };
}
