import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { startProcess, type ServiceProcess } from '../../src/dev/processes';
import { SEND_CHAT, befriend, createRoom, gql, gqlOk, signUp, uniquePrefix, waitFor, type TestUser } from '../support';
import { JWT_SECRET } from './harness';

// The moderator as a real process, killed with kill -9 in the middle of a flood and again right after the
// mute: each restart reads again what it had not committed, fires again, and the worker keeps one decision.
const WORDS_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'moderator-fault-')), 'words.txt');
fs.writeFileSync(WORDS_FILE, 'forbiddenword\n');
let env: Record<string, string>;
let worker: ServiceProcess;
let gateway: ServiceProcess;
let moderator: ServiceProcess;
const moderatorLogs: string[] = [];

async function startModerator(): Promise<void> {
  moderator = await startProcess('moderator', env);
  moderatorLogs.push(moderator.logFile);
}

beforeAll(async () => {
  env = {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
    DATABASE_URL: process.env.DATABASE_URL!,
    KAFKA_TOPIC_PREFIX: uniquePrefix('moderator-fault'),
    KAFKA_PARTITIONS: '3',
    JWT_SECRET,
    SIGN_UP_RATE_PER_ADDRESS: '0',
    REQUEST_RATE_PER_ADDRESS: '0',
    SOCIAL_RATE_PER_MINUTE: '0',
    MODERATION_FLOOD_MESSAGES: '5',
    MODERATION_FLOOD_WINDOW_SECONDS: '60',
    MODERATION_WORDS_FILE: WORDS_FILE,
    MODERATION_MUTE_SECONDS: '600',
  };
  worker = await startProcess('worker', env);
  gateway = await startProcess('gateway', env);
  await startModerator();
}, 120_000);

afterAll(async () => {
  await moderator?.stop();
  await gateway?.stop();
  await worker?.stop();
});

const mutedUntil = async (user: TestUser) => (await gqlOk(gateway.url, '{ me { mutedUntil } }', {}, user.token)).me.mutedUntil as string | null;
const send = (user: TestUser, roomId: string, body: string) => gql(gateway.url, SEND_CHAT, { input: { roomId, body } }, user.token);
const firings = (userId: string) =>
  moderatorLogs.flatMap((file) => fs.readFileSync(file, 'utf8').split('\n')).filter((l) => l.includes('"rule fired"') && l.includes(userId)).length;

/** A member of the room says a banned word: once muted, the moderator has read the room's partition up to there. */
async function sentinel(roomId: string, member: TestUser): Promise<void> {
  expect((await send(member, roomId, 'forbiddenword')).errors).toBeUndefined();
  await waitFor('the sentinel muted', () => mutedUntil(member), 60_000);
}

test('killed -9 in the middle of a flood and again after the mute, the moderator mutes once', async () => {
  const url = gateway.url;
  const [alice, s1, s2] = await Promise.all(['alice', 's1', 's2'].map((n) => signUp(url, n)));
  for (const s of [s1, s2]) await befriend(url, alice, s);
  const roomId = await createRoom(url, alice, [s1, s2]);
  await sentinel(roomId, s1); // the moderator is reading

  for (let i = 1; i <= 3; i++) expect((await send(alice, roomId, `flood ${i}`)).errors).toBeUndefined();
  await moderator.crash();
  // The flood goes on while no moderator runs: chat does not depend on it.
  for (let i = 4; i <= 7; i++) expect((await send(alice, roomId, `flood ${i}`)).errors).toBeUndefined();
  await startModerator();
  const until = await waitFor('alice muted', () => mutedUntil(alice), 60_000);

  // Killed again right after the mute: the successor reads the flood again and fires again.
  await moderator.crash();
  await startModerator();
  await sentinel(roomId, s2);
  expect(firings(alice.id)).toBeGreaterThanOrEqual(2);

  // Every command the moderator sent has been applied: alice's were sent before the sentinel's, but may sit on
  // another partition of chat.commands; the worker's committed offsets reaching the ends settles it.
  const admin = new Kafka({ brokers: env.KAFKA_BROKERS.split(','), logLevel: 0 }).admin();
  await admin.connect();
  const topic = `${env.KAFKA_TOPIC_PREFIX}.commands`;
  await waitFor('the worker caught up', async () => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: `${topic}.worker`, topics: [topic] });
    // A partition that never had a record has nothing to commit (its committed offset stays -1).
    return ends.every(({ partition, high }) => high === '0' || committed.partitions.find((p) => p.partition === partition)?.offset === high);
  }, 60_000);
  await admin.disconnect();
  const decisionsOf = async (userId: string) => {
    const db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      return (await db.query('select id from moderation_decisions where user_id = $1', [userId])).rows;
    } finally {
      await db.end();
    }
  };
  expect(await decisionsOf(alice.id)).toHaveLength(1);
  expect(await mutedUntil(alice)).toBe(until);
});
