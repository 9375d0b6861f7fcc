import { randomUUID } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import type { App } from '../src/app';
import type { Command } from '../src/contracts/commands';
import { RECORD_VERSION } from '../src/contracts/records';
import { PRODUCER_CONFIG } from '../src/kafka/client';
import { startTestApp, testConfig, uniquePrefix, waitFor } from './support';

// The worker commits its offsets on a timer (src/kafka/commits.ts), not after every batch.
const config = testConfig(uniquePrefix('commits'));
const workerGroup = `${config.topics.commands}.worker`;
let app: App | null = null;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  app = await startTestApp(config, ['worker']);
  admin = app.kafka.admin();
  await admin.connect();
  producer = app.kafka.producer(PRODUCER_CONFIG);
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await app?.stop();
});

/** Commands the worker refuses (no such user), spread over the partitions by their keys; their ids. */
async function sendCommands(count: number): Promise<string[]> {
  const commands = Array.from({ length: count }, () => ({
    v: RECORD_VERSION, id: randomUUID(), type: 'UpdateStatus', actorId: randomUUID(), deadline: Date.now() + 30_000, payload: { statusMessage: 'hi' },
  }) as unknown as Command);
  await producer.send({ topic: config.topics.commands, messages: commands.map((c) => ({ key: c.actorId!, value: JSON.stringify(c) })) });
  return commands.map((c) => c.id);
}

/** Waits until the worker has applied (here: refused and recorded) every one of these commands. */
async function applied(ids: string[]): Promise<void> {
  await waitFor(`the worker to apply ${ids.length} commands`, async () => {
    const [{ count }] = await app!.orm.em.fork().execute('select count(*)::int as count from processed_commands where id in (?)', [ids]);
    return count === ids.length ? true : undefined;
  });
}

/** Per partition: how far the worker's group has committed, and the end of the topic. */
async function committedAndEnds(): Promise<{ committed: number; end: number }> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(config.topics.commands),
    admin.fetchOffsets({ groupId: workerGroup, topics: [config.topics.commands] }),
  ]);
  const sum = (values: string[]) => values.reduce((total, v) => total + Math.max(Number(v), 0), 0);
  return { committed: sum(committed.partitions.map((p) => p.offset)), end: sum(ends.map((e) => e.high)) };
}

test('while running, what the worker processed is committed without waiting for it to stop', async () => {
  await applied(await sendCommands(30));
  const offsets = await waitFor('the worker group to commit to the end of the topic', async () => {
    const now = await committedAndEnds();
    return now.end > 0 && now.committed === now.end ? now : undefined;
  }, 10_000);
  expect(offsets.committed).toBeGreaterThanOrEqual(30);
});

test('a worker that stops commits what it processed, so its successor reads nothing again', async () => {
  await applied(await sendCommands(20));
  // At once, before the next timed commit would come.
  const stopping = app!;
  app = null;
  await stopping.stop();
  const { committed, end } = await committedAndEnds();
  expect({ committed }).toEqual({ committed: end });
});
