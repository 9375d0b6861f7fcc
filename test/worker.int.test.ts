import { randomUUID } from 'node:crypto';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import { Client } from 'pg';
import type { App } from '../src/app';
import type { Command } from '../src/contracts/commands';
import { MAX_RECORD_BYTES, RECORD_VERSION, REPLY_TO_HEADER, type MessageEvent, type Reply } from '../src/contracts/records';
import { PRODUCER_CONFIG } from '../src/kafka/client';
import { startTestApp, testConfig, uniquePrefix, waitFor } from './support';

// The worker alone, fed by a raw producer: what it does with duplicates and poison.
const config = testConfig(uniquePrefix('worker'));
let app: App;
let producer: Producer;
let consumer: Consumer;
const seen: Record<'replies' | 'messages' | 'deadLetter', KafkaMessage[]> = { replies: [], messages: [], deadLetter: [] };

beforeAll(async () => {
  app = await startTestApp(config, ['worker']);
  producer = app.kafka.producer(PRODUCER_CONFIG);
  await producer.connect();
  consumer = app.kafka.consumer({ groupId: `${config.topics.commands}.test-observer` });
  await consumer.connect();
  const byTopic = { [config.topics.replies]: 'replies', [config.topics.messages]: 'messages', [config.topics.deadLetter]: 'deadLetter' } as const;
  await consumer.subscribe({ topics: Object.keys(byTopic), fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, message }) => void seen[byTopic[topic]].push(message) });
});

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  await app?.stop();
});

const send = (key: string, value: string | Buffer) =>
  producer.send({ topic: config.topics.commands, messages: [{ key, value, headers: { [REPLY_TO_HEADER]: 'observer' } }] });

function command<T extends Command['type']>(type: T, actorId: string | null, payload: Extract<Command, { type: T }>['payload']): Command {
  return { v: RECORD_VERSION, id: randomUUID(), type, actorId, deadline: Date.now() + 30_000, payload } as Command;
}

const repliesTo = (commandId: string) =>
  seen.replies.map((m) => JSON.parse(String(m.value)) as Reply).filter((reply) => reply.commandId === commandId);

async function apply(cmd: Command, key: string): Promise<Reply> {
  await send(key, JSON.stringify(cmd));
  return waitFor(`the reply to ${cmd.type}`, () => repliesTo(cmd.id)[0]);
}

async function aliceInARoom(): Promise<{ aliceId: string; roomId: string }> {
  const aliceId = randomUUID();
  const roomId = randomUUID();
  const username = `alice_${aliceId.slice(0, 8)}`;
  expect(await apply(command('SignUp', null, { userId: aliceId, username, passwordHash: 'x', displayName: 'Alice', email: null }), aliceId)).toMatchObject({ ok: true });
  expect(await apply(command('CreateRoom', aliceId, { roomId, name: 'r', memberIds: [] }), roomId)).toMatchObject({ ok: true });
  return { aliceId, roomId };
}

test('a redelivered command re-emits the same event and reply and writes no second row', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const chat = command('SendChat', aliceId, { roomId, body: 'once', clientMessageId: null, attachment: null });
  // The same record twice, as after a crash between the transaction and the offset commit.
  await send(roomId, JSON.stringify(chat));
  await send(roomId, JSON.stringify(chat));
  const eventsOfRoom = () =>
    seen.messages.map((m) => JSON.parse(String(m.value)) as MessageEvent).filter((e) => e.type === 'message' && e.message.roomId === roomId);
  await waitFor('both replies and both events', () => repliesTo(chat.id).length === 2 && eventsOfRoom().length === 2);
  const [first, second] = repliesTo(chat.id);
  expect(second).toEqual(first);
  const events = eventsOfRoom();
  expect(events[1]).toEqual(events[0]);
  expect(events[0].message).toMatchObject({ seq: 1, body: 'once', sender: { id: aliceId, displayName: 'Alice' } });
  const rows = await app.orm.em.fork().execute('select seq from messages where room_id = ?', [roomId]);
  expect(rows).toEqual([{ seq: 1 }]);
});

test('poison records go to the dead-letter topic with a reason, and the worker goes on', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  await send(roomId, 'not json at all');
  await send(roomId, JSON.stringify({ ...command('SendChat', aliceId, { roomId, body: 'x', clientMessageId: null, attachment: null }), type: 'Explode' }));
  const after = await apply(command('SendChat', aliceId, { roomId, body: 'still here', clientMessageId: null, attachment: null }), roomId);
  expect(after).toMatchObject({ ok: true, result: { message: { seq: 1, body: 'still here' } } });
  await waitFor('two dead letters', () => seen.deadLetter.length >= 2);
  const reasons = seen.deadLetter.map((m) => String(m.headers?.['dead-letter-reason']));
  expect(reasons).toEqual(expect.arrayContaining(['record value is not JSON', 'unknown command type "Explode"']));
  expect(seen.deadLetter.map((m) => String(m.value))).toContain('not json at all');
});

test('a poison command whose id can be read is answered with an error at once; a too-large one is set aside', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const broken = { ...command('SendChat', aliceId, { roomId, body: 'x', clientMessageId: null, attachment: null }), payload: { roomId } };
  await send(roomId, JSON.stringify(broken));
  const huge = command('SendChat', aliceId, { roomId, body: 'x'.repeat(MAX_RECORD_BYTES + 1000), clientMessageId: null, attachment: null });
  await send(roomId, JSON.stringify(huge));
  await waitFor('replies to both', () => repliesTo(broken.id).length === 1 && repliesTo(huge.id).length === 1);
  for (const id of [broken.id, huge.id]) {
    expect(repliesTo(id)).toEqual([{ v: 1, commandId: id, ok: false, error: { code: 'INTERNAL_SERVER_ERROR', message: 'The request could not be processed.' } }]);
  }
  // The dead letters are on a topic of their own: the observer may see them after the replies.
  const reasons = () => seen.deadLetter.map((m) => String(m.headers?.['dead-letter-reason']));
  await waitFor('both dead letters', () => reasons().some((r) => /^record is too large \(\d+ bytes\)$/.test(r)));
  expect(reasons()).toContain('SendChat command has a missing or invalid "body"');
  const rows = await app.orm.em.fork().execute('select seq from messages where room_id = ?', [roomId]);
  expect(rows).toEqual([]);
});

test('a command past its deadline is dropped unapplied', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const stale = { ...command('SendChat', aliceId, { roomId, body: 'stale', clientMessageId: null, attachment: null }), deadline: Date.now() - 1 };
  await send(roomId, JSON.stringify(stale));
  const fresh = await apply(command('SendChat', aliceId, { roomId, body: 'fresh', clientMessageId: null, attachment: null }), roomId);
  // Same partition, so the stale one was read first; it left no row, no event and no reply.
  expect(fresh).toMatchObject({ ok: true, result: { message: { seq: 1, body: 'fresh' } } });
  expect(repliesTo(stale.id)).toEqual([]);
});

test('a command whose text PostgreSQL refuses (a NUL byte) is answered at once and set aside; its partition goes on', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const startedAt = Date.now();
  // Straight to the topic, as the gateway's own checks are not what is tested here.
  const poisoned = command('SendChat', aliceId, { roomId, body: 'nul \u0000 byte', clientMessageId: null, attachment: null });
  await send(roomId, JSON.stringify(poisoned));
  const after = await apply(command('SendChat', aliceId, { roomId, body: 'after', clientMessageId: null, attachment: null }), roomId);
  // Same key, so the same partition: the good command was not held behind the refused one until it expired.
  expect(after).toMatchObject({ ok: true, result: { message: { seq: 1, body: 'after' } } });
  expect(repliesTo(poisoned.id)).toEqual([
    { v: 1, commandId: poisoned.id, ok: false, error: { code: 'INTERNAL_SERVER_ERROR', message: 'The request could not be applied.' } },
  ]);
  expect(Date.now() - startedAt).toBeLessThan(10_000); // the poisoned command had 30 s to live
  await waitFor('the refused command in the dead-letter topic', () =>
    seen.deadLetter.find((m) => String(m.value) === JSON.stringify(poisoned)),
  );
  const rows = await app.orm.em.fork().execute('select body from messages where room_id = ?', [roomId]);
  expect(rows).toEqual([{ body: 'after' }]);
});

test('a sign-up whose name holds a NUL byte is refused alone: the sign-up after it, in the same chunk, is applied', async () => {
  const userId = randomUUID();
  const poisoned = command('SignUp', null, { userId, username: `nul_\u0000_${userId.slice(0, 8)}`, passwordHash: 'x', displayName: 'N', email: null });
  const good = command('SignUp', null, { userId, username: `good_${userId.slice(0, 8)}`, passwordHash: 'x', displayName: 'G', email: null });
  // One produce, one key: the two arrive in one batch, so they are first tried in one transaction.
  await producer.send({
    topic: config.topics.commands,
    messages: [poisoned, good].map((c) => ({ key: userId, value: JSON.stringify(c), headers: { [REPLY_TO_HEADER]: 'observer' } })),
  });
  await waitFor('both replies', () => repliesTo(poisoned.id).length === 1 && repliesTo(good.id).length === 1, 10_000);
  expect(repliesTo(poisoned.id)[0]).toMatchObject({ ok: false, error: { code: 'INTERNAL_SERVER_ERROR' } });
  expect(repliesTo(good.id)[0]).toMatchObject({ ok: true, result: { userId } });
});

test('the sweep removes outcomes past the command lifetime and expired revocations, and keeps the rest', async () => {
  const { aliceId } = await aliceInARoom();
  const em = app.orm.em.fork();
  const [oldId, newId] = [`old-${randomUUID()}`, `new-${randomUUID()}`];
  await em.execute(
    `insert into processed_commands (id, reply, events, processed_at) values (?, '{}', '[]', now() - interval '1 day'), (?, '{}', '[]', now())`,
    [oldId, newId],
  );
  const [expired, valid] = [randomUUID(), randomUUID()];
  await em.execute(
    `insert into revoked_tokens (token_id, user_id, expires_at) values (?, ?, now() - interval '1 second'), (?, ?, now() + interval '1 day')`,
    [expired, aliceId, valid, aliceId],
  );
  const swept = await app.worker!.sweep();
  expect(swept.processed).toBeGreaterThanOrEqual(1);
  expect(swept.revoked).toBeGreaterThanOrEqual(1);
  const processed = await em.execute('select id from processed_commands where id in (?, ?)', [oldId, newId]);
  expect(processed).toEqual([{ id: newId }]);
  const revoked = await em.execute('select token_id from revoked_tokens where token_id in (?, ?)', [expired, valid]);
  expect(revoked).toEqual([{ token_id: valid }]);
});

/** A session of its own holding a room's row lock in an open transaction, as a frozen worker would; its pid. */
async function lockRoom(roomId: string): Promise<{ holder: Client; pid: number }> {
  // No session limits: a holder that never lets go by itself.
  const holder = new Client({ connectionString: process.env.DATABASE_URL });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select 1 from rooms where id = $1 for update', [roomId]);
  const [{ pid }] = (await holder.query('select pg_backend_pid() as pid')).rows as { pid: number }[];
  return { holder, pid };
}

/** The statements waiting for a lock `pid` holds: whose session, since when, for how long so far. */
async function waitersOn(pid: number): Promise<{ pid: number; since: string; waitedMs: number }[]> {
  const rows: { pid: number; since: Date; waited_ms: number }[] = await app.orm.em
    .fork()
    .execute(
      `select pid, query_start as since, extract(epoch from clock_timestamp() - query_start) * 1000 as waited_ms
       from pg_stat_activity where ? = any(pg_blocking_pids(pid))`,
      [pid],
    );
  return rows.map((r) => ({ pid: r.pid, since: new Date(r.since).toISOString(), waitedMs: Number(r.waited_ms) }));
}

test('a worker blocked on a room lock gives up after lock_timeout, retries, and applies the command once the lock is freed', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const { holder, pid } = await lockRoom(roomId);
  try {
    const chat = command('SendChat', aliceId, { roomId, body: 'after the lock', clientMessageId: null, attachment: null });
    await send(roomId, JSON.stringify(chat));
    // Without lock_timeout the worker's statement waits as long as the holder lives: one statement, ever longer.
    const statements = new Set<string>();
    let longestMs = 0;
    await waitFor(
      'the worker to give up its lock wait and wait again',
      async () => {
        for (const w of await waitersOn(pid)) {
          statements.add(`${w.pid}@${w.since}`);
          longestMs = Math.max(longestMs, w.waitedMs);
        }
        return statements.size >= 2;
      },
      15_000,
    );
    expect(longestMs).toBeLessThan(4500); // lock_timeout 3 s, plus the polling's slack
    await holder.query('rollback');
    const reply = await waitFor('the reply', () => repliesTo(chat.id)[0], 10_000);
    expect(reply).toMatchObject({ ok: true, result: { message: { seq: 1, body: 'after the lock' } } });
  } finally {
    await holder.end();
  }
});

test("a session left idle in its transaction (a frozen worker's) is ended by the server, which frees its locks", async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const chat = command('SendChat', aliceId, { roomId, body: 'freed', clientMessageId: null, attachment: null });
  const startedAt = Date.now();
  // A connection of the store the worker uses, so with its session settings: it locks the room, then sits idle.
  const holding = app.orm.em.fork().transactional(async (tx) => {
    await tx.execute('select 1 from rooms where id = ? for update', [roomId]);
    await send(roomId, JSON.stringify(chat));
    await waitFor('the reply while the lock is held', () => repliesTo(chat.id)[0], 20_000);
  });
  await expect(holding).rejects.toThrow(); // its session was ended: the COMMIT fails, nothing of it stands
  expect(repliesTo(chat.id)[0]).toMatchObject({ ok: true, result: { message: { seq: 1, body: 'freed' } } });
  // idle_in_transaction_session_timeout (5 s), then at most a lock_timeout (3 s) and a retry's pause.
  expect(Date.now() - startedAt).toBeLessThan(12_000);
});

test('a command whose deadline passes during its transaction is rolled back, not committed; the rest of its chunk is applied', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const otherRoomId = randomUUID();
  expect(await apply(command('CreateRoom', aliceId, { roomId: otherRoomId, name: 'other', memberIds: [] }), otherRoomId)).toMatchObject({ ok: true });
  const { holder, pid } = await lockRoom(roomId);
  try {
    const first = command('SendChat', aliceId, { roomId, body: 'waits for the lock', clientMessageId: null, attachment: null });
    const short = { ...command('SendChat', aliceId, { roomId: otherRoomId, body: 'too late', clientMessageId: null, attachment: null }), deadline: Date.now() + 2000 };
    // One produce, one key: one chunk, one transaction, `first` before `short`.
    await producer.send({
      topic: config.topics.commands,
      messages: [first, short].map((c) => ({ key: roomId, value: JSON.stringify(c), headers: { [REPLY_TO_HEADER]: 'observer' } })),
    });
    await waitFor('the worker waiting for the lock', async () => (await waitersOn(pid)).length > 0, 10_000);
    // So the transaction began while `short` was still alive: it passed the check before the transaction.
    expect(Date.now()).toBeLessThan(short.deadline);
    await waitFor('the short deadline to pass', () => Date.now() > short.deadline + 50, 5000);
    await holder.query('rollback'); // within lock_timeout of the wait's start: the same transaction goes on
    const reply = await waitFor('the reply to the first', () => repliesTo(first.id)[0], 10_000);
    expect(reply).toMatchObject({ ok: true, result: { message: { seq: 1, body: 'waits for the lock' } } });
    // Committed with the first, had it been applied: its room would hold it now.
    const em = app.orm.em.fork();
    expect(await em.execute('select seq from messages where room_id = ?', [otherRoomId])).toEqual([]);
    expect(await em.execute('select id from processed_commands where id = ?', [short.id])).toEqual([]);
    expect(repliesTo(short.id)).toEqual([]);
  } finally {
    await holder.end();
  }
});
