import type { App } from '../src/app';
import { SESSIONS_CHANNEL } from '../src/contracts/records';
import { partitionOfKey } from '../src/kafka/client';
import {
  SEND_CHAT,
  RoomWatcher,
  gqlOk,
  range,
  roomOfTwo,
  startTestApp,
  testConfig,
  uniquePrefix,
  waitFor,
  type TestUser,
} from './support';

/**
 * Each gateway reads only what it serves: its own partition of chat.replies,
 * and the partitions of chat.messages holding a room it has a live
 * subscriber for (plus the sessions partition). Two gateways, A and B, over
 * one worker; topics with more partitions than the suite's default, so rooms
 * and gateways spread.
 */
const EVENT_PARTITIONS = 8;
const ENV = { KAFKA_EVENT_PARTITIONS: String(EVENT_PARTITIONS), KAFKA_REPLY_PARTITIONS: '4', SEND_RATE_PER_SECOND: '0' };
const prefix = uniquePrefix('served-partitions');
let worker: App;
let a: App;
let b: App;
const watchers: RoomWatcher[] = [];

beforeAll(async () => {
  worker = await startTestApp(testConfig(prefix, ENV), ['worker']);
  // One after the other: each sees the reply partition the one before took.
  a = await startTestApp(testConfig(prefix, ENV), ['gateway']);
  b = await startTestApp(testConfig(prefix, ENV), ['gateway']);
}, 120_000);

afterAll(async () => {
  await Promise.all(watchers.map((w) => w.close()));
  await Promise.all([a, b].map((g) => g?.stop()));
  await worker?.stop();
});

const url = (app: App) => app.gateway!.url;
const read = async (app: App, consumer: 'messages' | 'replies') => (await app.metrics.recordsRead())[consumer] ?? { fetched: 0, delivered: 0 };
const sessionsPartition = partitionOfKey(SESSIONS_CHANNEL, EVENT_PARTITIONS);

/** A room of two whose events are not on the sessions partition (which every gateway reads). */
async function roomOffTheSessionsPartition(): Promise<{ alice: TestUser; bob: TestUser; roomId: string }> {
  for (;;) {
    const room = await roomOfTwo(url(a), url(b));
    if (partitionOfKey(room.roomId, EVENT_PARTITIONS) !== sessionsPartition) return room;
  }
}

async function send(app: App, user: TestUser, roomId: string, body: string): Promise<number> {
  const data = await gqlOk(url(app), SEND_CHAT, { input: { roomId, body } }, user.token);
  return data.sendChat.seq as number;
}

function watch(app: App, user: TestUser, roomId: string, afterSeq: number | null): RoomWatcher {
  const watcher = new RoomWatcher(url(app), user.token).watch(roomId, afterSeq);
  watchers.push(watcher);
  return watcher;
}

test('a reply is read by the gateway that waits for it and by no other', async () => {
  // Commands through both gateways, interleaved: each one's replies on its own partition.
  const { alice, bob, roomId } = await roomOffTheSessionsPartition();
  for (let i = 0; i < 5; i++) {
    await send(a, alice, roomId, `a${i}`);
    await send(b, bob, roomId, `b${i}`);
  }
  for (const gateway of [a, b]) {
    const replies = await read(gateway, 'replies');
    expect(replies.delivered).toBeGreaterThanOrEqual(5);
    expect(replies.fetched).toBe(replies.delivered);
  }
});

test('a gateway with no subscriber of a room fetches none of its events; the one with a subscriber does', async () => {
  const { alice, roomId } = await roomOffTheSessionsPartition();
  const onA = watch(a, alice, roomId, null);
  // Live once a first message comes through (the subscription resumed the room's partition on A).
  await waitFor('the subscription on A to be live', async () => {
    await send(a, alice, roomId, 'ping');
    return onA.messages.length > 0;
  });
  const bBefore = await read(b, 'messages');
  const aBefore = await read(a, 'messages');
  const seqs: number[] = [];
  for (let i = 0; i < 5; i++) seqs.push(await send(b, alice, roomId, `m${i}`)); // sent through B: B has no subscriber of it
  await waitFor('A to deliver them', () => seqs.every((seq) => onA.seqs.includes(seq)));
  const aAfter = await read(a, 'messages');
  expect(aAfter.delivered - aBefore.delivered).toBeGreaterThanOrEqual(5);
  expect(await read(b, 'messages')).toEqual(bBefore);
});

test('a new subscriber of a paused partition gets every message after its afterSeq: history, then live, no gap at the resume', async () => {
  const { alice, bob, roomId } = await roomOffTheSessionsPartition();
  const before: number[] = [];
  for (let i = 0; i < 3; i++) before.push(await send(a, alice, roomId, `before ${i}`));
  const afterSeq = before[0];

  // Messages keep coming while B resumes the partition and reads history.
  const onB = watch(b, bob, roomId, afterSeq);
  const during: number[] = [];
  for (let i = 0; i < 10; i++) during.push(await send(a, alice, roomId, `during ${i}`));
  const last = during.at(-1)!;
  await waitFor('B to have everything up to the last', () => onB.seqs.includes(last));
  expect(onB.seqs).toEqual(range(afterSeq + 1, last));

  // Its last subscriber gone, B pauses the partition; a new one resumes it again, from the end, and still misses nothing.
  await onB.close();
  const missed = [await send(a, alice, roomId, 'while paused'), await send(a, alice, roomId, 'while paused 2')];
  const again = watch(b, bob, roomId, last);
  const next = await send(a, alice, roomId, 'after');
  await waitFor('the new subscriber to have everything after its afterSeq', () => again.seqs.includes(next));
  expect(again.seqs).toEqual([...missed, next]);
  expect(again.errors).toBeNull();
});
