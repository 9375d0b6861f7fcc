import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { App } from '../src/app';
import { startApp } from '../src/app';
import { createLogger } from '../src/log';
import {
  SEND_CHAT,
  befriend,
  createRoom,
  gql,
  gqlError,
  gqlOk,
  RoomWatcher,
  recordingLogger,
  signUp,
  testConfig,
  uniquePrefix,
  waitFor,
  type TestUser,
} from './support';

// Moderation over real Kafka and PostgreSQL: a worker, a moderator and two gateways over the same topics,
// with thresholds small enough for a test. Each rule fires at its threshold and not one message before:
// "before" is told by a sentinel, a banned word sent after the messages under test in the same room (so the
// same partition, read in order): once the moderator fired for the sentinel, it has judged what came before.
const WORDS_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'moderation-')), 'words.txt');
fs.writeFileSync(WORDS_FILE, '# banned\nforbiddenword\nvery bad phrase\n');
const MODERATION = {
  MODERATION_FLOOD_MESSAGES: '5',
  MODERATION_FLOOD_WINDOW_SECONDS: '60',
  MODERATION_REPEAT_COUNT: '3',
  MODERATION_WORDS_FILE: WORDS_FILE,
  MODERATION_REPORT_THRESHOLD: '2',
  MODERATION_MUTE_SECONDS: '5',
};
const prefix = uniquePrefix('moderation');
const moderatorLog = recordingLogger('moderator');
let worker: App;
let moderator: App;
let gateways: App[] = [];
let url: string;
let url2: string;

beforeAll(async () => {
  worker = await startApp(testConfig(prefix, MODERATION), ['worker'], createLogger('test-worker', true));
  moderator = await startApp(testConfig(prefix, MODERATION), ['moderator'], moderatorLog);
  gateways = await Promise.all([0, 1].map(() => startApp(testConfig(prefix, MODERATION), ['gateway'], createLogger('test-gateway', true))));
  [url, url2] = gateways.map((g) => g.gateway!.url);
  await waitFor('the moderator in its group', () => moderator.metrics.consumers().moderator === 'joined');
}, 120_000);
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await moderator?.stop();
  await worker?.stop();
});

const send = (at: string, user: TestUser, roomId: string, body: string) => gql(at, SEND_CHAT, { input: { roomId, body } }, user.token);
const firedFor = (userId: string) => moderatorLog.entries.filter((e) => e.msg === 'rule fired' && e.fields.userId === userId);
const decisions = (userId: string) =>
  worker.orm.em.fork().execute('select rule, evidence, muted_until, created_at, ended_at from moderation_decisions where user_id = ? order by created_at', [userId]);

/** Waits until `user` is muted (me.mutedUntil, without sending), and returns the refusal of a send. */
async function mutedRefusal(user: TestUser, roomId: string) {
  await waitFor(`${user.username} muted`, async () => (await gqlOk(url, '{ me { mutedUntil } }', {}, user.token)).me.mutedUntil);
  const result = await send(url, user, roomId, 'still here?');
  expect(result.errors?.[0]?.extensions?.reason).toBe('MUTED');
  return result.errors![0];
}

/** A room of `users` (the first befriends the others and creates it). */
async function roomOf(users: TestUser[]): Promise<string> {
  const [owner, ...others] = users;
  for (const other of others) await befriend(url, owner, other);
  return createRoom(url, owner, others);
}

/** A member of `roomId` says a banned word; resolves once the moderator fired for it: it has judged all before. */
async function sentinel(roomId: string, member: TestUser): Promise<void> {
  expect((await send(url, member, roomId, 'FORBIDDENWORD')).errors).toBeUndefined();
  await waitFor('the sentinel judged', () => firedFor(member.id).length > 0);
}

test('flood: more than MODERATION_FLOOD_MESSAGES from one user, sent through two gateways, mutes at the one over and not before', async () => {
  const [alice, bob, sam] = await Promise.all([signUp(url, 'alice'), signUp(url, 'bob'), signUp(url, 'sam')]);
  const roomId = await roomOf([alice, bob, sam]);
  for (let i = 1; i <= 5; i++) expect((await send(i % 2 ? url : url2, alice, roomId, `message ${i}`)).errors).toBeUndefined();
  await sentinel(roomId, sam);
  expect(firedFor(alice.id)).toEqual([]);

  expect((await send(url2, alice, roomId, 'message 6')).errors).toBeUndefined();
  const refusal = await mutedRefusal(alice, roomId);
  expect(refusal.extensions?.code).toBe('FORBIDDEN');
  expect(Date.parse(String(refusal.extensions?.until))).toBeGreaterThan(Date.now() - 5000);
  // Refused on the other gateway too; Bob is not muted.
  expect((await send(url2, alice, roomId, 'and here?')).errors?.[0]?.extensions?.reason).toBe('MUTED');
  expect((await send(url, bob, roomId, 'hi')).errors).toBeUndefined();
  const [decision] = await decisions(alice.id);
  expect(decision.rule).toBe('flood');
  expect((decision.evidence as { messageIds: string[] }).messageIds).toHaveLength(6);
});

test('repetition: the same text (case and spacing aside) MODERATION_REPEAT_COUNT times mutes at that one', async () => {
  const [carol, sam] = await Promise.all([signUp(url, 'carol'), signUp(url, 'sam')]);
  const roomId = await roomOf([carol, sam]);
  expect((await send(url, carol, roomId, 'Buy   now')).errors).toBeUndefined();
  expect((await send(url, carol, roomId, 'something else')).errors).toBeUndefined();
  expect((await send(url2, carol, roomId, 'buy now ')).errors).toBeUndefined();
  await sentinel(roomId, sam);
  expect(firedFor(carol.id)).toEqual([]);

  expect((await send(url, carol, roomId, 'BUY NOW')).errors).toBeUndefined();
  await mutedRefusal(carol, roomId);
  const [decision] = await decisions(carol.id);
  expect(decision.rule).toBe('repetition');
  expect((decision.evidence as { text: string }).text).toBe('buy now');
});

test('words: a banned phrase mutes at once, a word that only contains one does not; me.mutedUntil shows it to the user only; MUTED then UNMUTED; a second mute within the day lasts twice as long', async () => {
  const [dave, sam] = await Promise.all([signUp(url, 'dave'), signUp(url, 'sam')]);
  const roomId = await roomOf([dave, sam]);
  expect((await send(url, dave, roomId, 'forbiddenwords and a very bad-phrase')).errors).toBeUndefined();
  await sentinel(roomId, sam);
  expect(firedFor(dave.id)).toEqual([]);

  expect((await send(url, dave, roomId, 'this is a Very  Bad Phrase!')).errors).toBeUndefined();
  const refusal = await mutedRefusal(dave, roomId);
  const me = await gqlOk(url, '{ me { mutedUntil } }', {}, dave.token);
  expect(Date.parse(me.me.mutedUntil)).toBe(Date.parse(String(refusal.extensions?.until)));
  expect((await gqlOk(url, 'query($id: ID!) { user(id: $id) { mutedUntil } }', { id: dave.id }, sam.token)).user.mutedUntil).toBeNull();

  // The mute ends by itself (5 s): the decision is closed, and he may send again.
  await waitFor('the mute over', async () => (await send(url, dave, roomId, 'back')).errors === undefined, 30_000);
  await waitFor('the decision closed', async () => (await decisions(dave.id))[0].ended_at !== null, 30_000);
  expect((await gqlOk(url, '{ me { mutedUntil } }', {}, dave.token)).me.mutedUntil).toBeNull();

  expect((await send(url, dave, roomId, 'forbiddenword again')).errors).toBeUndefined();
  await mutedRefusal(dave, roomId);
  const [first, second] = await decisions(dave.id);
  const length = (d: Record<string, unknown>) => Date.parse(String(d.muted_until)) - Date.parse(String(d.created_at));
  expect(length(first)).toBe(5000);
  expect(length(second)).toBe(10_000);
});

test('reports: MODERATION_REPORT_THRESHOLD distinct members on one user\'s messages mute them; a second report of the same message counts once; members only', async () => {
  const [erin, frank, gina, sam] = await Promise.all([signUp(url, 'erin'), signUp(url, 'frank'), signUp(url, 'gina'), signUp(url, 'sam')]);
  const outsider = await signUp(url, 'outsider');
  const roomId = await roomOf([erin, frank, gina, sam]);
  const message = (await gqlOk(url, SEND_CHAT, { input: { roomId, body: 'hello' } }, erin.token)).sendChat.id;
  const REPORT = 'mutation($m: ID!, $r: String!) { reportMessage(messageId: $m, reason: $r) }';
  expect(await gqlOk(url, REPORT, { m: message, r: 'rude' }, frank.token)).toEqual({ reportMessage: true });
  expect(await gqlOk(url2, REPORT, { m: message, r: 'rude again' }, frank.token)).toEqual({ reportMessage: true });
  expect((await gqlError(url, REPORT, { m: message, r: 'x' }, outsider.token)).extensions?.code).toBe('FORBIDDEN');
  expect((await gqlError(url, REPORT, { m: message, r: '' }, gina.token)).extensions?.code).toBe('BAD_USER_INPUT');
  expect((await gqlError(url, REPORT, { m: message, r: 'x'.repeat(201) }, gina.token)).extensions?.code).toBe('BAD_USER_INPUT');
  // The sentinel here: Sam gets two reports after Erin's one; once Sam is muted, a poll saw Erin's single reporter too.
  const samsMessage = (await gqlOk(url, SEND_CHAT, { input: { roomId, body: 'hi' } }, sam.token)).sendChat.id;
  await gqlOk(url, REPORT, { m: samsMessage, r: 'spam' }, frank.token);
  await gqlOk(url, REPORT, { m: samsMessage, r: 'spam' }, gina.token);
  await mutedRefusal(sam, roomId);
  expect(firedFor(erin.id)).toEqual([]);

  expect(await gqlOk(url, REPORT, { m: message, r: 'rude' }, gina.token)).toEqual({ reportMessage: true });
  await mutedRefusal(erin, roomId);
  const [decision] = await decisions(erin.id);
  expect(decision.rule).toBe('reports');
  expect((decision.evidence as { reporters: number }).reporters).toBe(2);
});

test('deleteAccount: wrong password UNAUTHENTICATED; then the token is refused by the other gateway at once, sockets close, rooms get the LEFT message, friends, bookmarks and reports go, messages stay without sender, the name is free', async () => {
  const [hank, ivy, jo] = await Promise.all([signUp(url, 'hank'), signUp(url, 'ivy'), signUp(url, 'jo')]);
  const roomId = await roomOf([hank, ivy, jo]);
  const said = (await gqlOk(url, SEND_CHAT, { input: { roomId, body: 'my words' } }, hank.token)).sendChat.id;
  const ivys = (await gqlOk(url, SEND_CHAT, { input: { roomId, body: 'hers' } }, ivy.token)).sendChat.id;
  await gqlOk(url, 'mutation($m: ID!) { bookmarkMessage(messageId: $m) { id } }', { m: said }, hank.token);
  await gqlOk(url, 'mutation($m: ID!) { reportMessage(messageId: $m, reason: "meh") }', { m: ivys }, hank.token);
  // A socket of Hank's on the second gateway, watching the room.
  const watcher = new RoomWatcher(url2, hank.token).watch(roomId, null);
  await waitFor('the watch open', () => gateways[1].gateway!.openSubscriptions > 0);

  const DELETE = 'mutation($p: String!) { deleteAccount(password: $p) }';
  expect((await gqlError(url, DELETE, { p: 'wrong password!' }, hank.token)).extensions?.code).toBe('UNAUTHENTICATED');
  expect(await gqlOk(url, DELETE, { p: 'correct horse battery' }, hank.token)).toEqual({ deleteAccount: true });

  // At once, on the other gateway, over HTTP.
  expect((await gqlError(url2, '{ me { id } }', {}, hank.token)).extensions?.code).toBe('UNAUTHENTICATED');
  await waitFor('the socket closed', () => watcher.closeCode !== null);
  await watcher.close();

  const history = await gqlOk(url, 'query($r: ID!) { messages(roomId: $r, last: 10) { edges { node { id kind body sender { id } } } } }', { r: roomId }, ivy.token);
  const nodes = history.messages.edges.map((e: { node: unknown }) => e.node);
  expect(nodes.find((n: { id: string }) => n.id === said)).toEqual({ id: said, kind: 'TEXT', body: 'my words', sender: null });
  expect(nodes[nodes.length - 1]).toMatchObject({ kind: 'SYSTEM', body: 'hank left' });
  const room = await gqlOk(url, 'query($r: ID!) { room(id: $r) { members { id } } }', { r: roomId }, ivy.token);
  expect(room.room.members.map((m: { id: string }) => m.id).sort()).toEqual([ivy.id, jo.id].sort());
  expect((await gqlOk(url, '{ friends { id } }', {}, ivy.token)).friends).toEqual([]);
  expect(await gqlOk(url, 'query($id: ID!) { user(id: $id) { id } }', { id: hank.id }, ivy.token)).toEqual({ user: null });
  const em = worker.orm.em.fork();
  for (const table of ['bookmarks', 'message_reports where reporter_id', 'friendships', 'room_members', 'revoked_tokens']) {
    const [from, column = 'user_id'] = table.split(' where ');
    expect(await em.execute(`select 1 from ${from} where ${column} = ?`, [hank.id])).toEqual([]);
  }
  // The name is free again.
  const again = await gqlOk(url, 'mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }', {
    input: { username: hank.username, password: 'another password' },
  });
  expect(again.signUp.user.id).not.toBe(hank.id);
});
