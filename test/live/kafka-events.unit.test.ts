import type { Admin, ConsumerConfig, ConsumerRunConfig, EachMessagePayload, Kafka, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { COMMIT_INTERVAL_MS } from '../../src/kafka/commits';
import type { Logger } from '../../src/log';
import { SESSIONS_CHANNEL } from '../../src/contracts/records';
import { partitionOfKey } from '../../src/kafka/client';
import { KafkaEvents } from '../../src/live/kafka-events';
import type { SourceRecord } from '../../src/live/router';

/**
 * KafkaEvents over a fake Kafka: what it relies on in graphql-kafkajs-subscriptions
 * (see its comment). If the library changes under the workarounds, these fail.
 */
const TOPIC = 'chat.messages';
const PARTITIONS = 8;
const ROOM = '00000000-0000-4000-8000-00000000000a';
const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function fakeKafka(readServedPartitionsOnly = false) {
  const calls: string[] = [];
  const joinListeners: (() => void)[] = [];
  const consumerConfigs: ConsumerConfig[] = [];
  const runConfigs: ConsumerRunConfig[] = [];
  const committed: TopicPartitionOffsetAndMetadata[] = [];
  const deletedGroups: string[] = [];
  const consumer = {
    connect: async () => void calls.push('consumer.connect'),
    subscribe: async ({ topic }: { topic: string }) => void calls.push(`consumer.subscribe ${topic}`),
    run: async (config: ConsumerRunConfig) => {
      calls.push('consumer.run');
      runConfigs.push(config);
    },
    commitOffsets: async (offsets: TopicPartitionOffsetAndMetadata[]) => void committed.push(...offsets),
    disconnect: async () => void calls.push('consumer.disconnect'),
    events: { GROUP_JOIN: 'join' },
    on: (event: string, listener: () => void) => void (event === 'join' && joinListeners.push(listener)),
    pause: ([{ partitions }]: { partitions: number[] }[]) => void calls.push(`pause ${partitions.join(',')}`),
    resume: ([{ partitions }]: { partitions: number[] }[]) => void calls.push(`resume ${partitions.join(',')}`),
    seek: ({ partition, offset }: { partition: number; offset: string }) => void calls.push(`seek ${partition}@${offset}`),
  };
  const producer = {
    connect: async () => void calls.push('producer.connect'),
    disconnect: async () => void calls.push('producer.disconnect'),
  };
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      consumerConfigs.push(config);
      return consumer;
    },
    producer: () => producer,
  } as unknown as Kafka;
  let endOffsetsFail = false;
  // The first call is start()'s (the partition count); later ones are a gate's.
  let offsetCalls = 0;
  const admin = {
    deleteGroups: async (ids: string[]) => void deletedGroups.push(...ids),
    fetchTopicOffsets: async () => {
      if (offsetCalls++ > 0 && endOffsetsFail) throw new Error('broker away');
      return Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, high: String(100 + partition), low: '0', offset: '0' }));
    },
  } as unknown as Admin;
  const failEndOffsets = (fail: boolean) => void (endOffsetsFail = fail);
  const watched: string[] = [];
  const counts = { fetched: 0, delivered: 0 };
  const metrics = {
    watchConsumer: (name: string) => void watched.push(name),
    recordCounters: () => ({ fetched: { inc: () => void counts.fetched++ }, delivered: { inc: () => void counts.delivered++ } }) as never,
    countPartitionsRead: () => undefined,
  };
  const events = new KafkaEvents(kafka, admin, { topics: { messages: TOPIC } as never, instanceId: 'gw1', readServedPartitionsOnly }, SILENT, metrics);
  const join = () => joinListeners.forEach((listener) => listener());
  return { events, calls, consumerConfigs, runConfigs, committed, deletedGroups, watched, counts, join, failEndOffsets };
}

function payload(channel: string, offset: string): EachMessagePayload {
  return {
    topic: TOPIC,
    partition: partitionOfKey(channel, PARTITIONS), // where its key puts it (the sessions partition is not counted)
    message: { key: null, value: Buffer.from('{}'), timestamp: '0', attributes: 0, offset, headers: { channel: Buffer.from(channel) } },
    heartbeat: async () => undefined,
    pause: () => () => undefined,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

afterEach(() => jest.useRealTimers());

describe('KafkaEvents (the adapter of graphql-kafkajs-subscriptions)', () => {
  test("the library makes its consumer in create() with our group and runs it once, with eachMessage alone: autoCommit is ours to turn off", async () => {
    const { events, calls, consumerConfigs, runConfigs, watched } = fakeKafka();
    await events.start();
    expect(consumerConfigs).toHaveLength(1);
    expect(consumerConfigs[0].groupId).toBe(`${TOPIC}.gateway.gw1`);
    expect(watched).toEqual(['messages']);
    expect(calls).toEqual(['producer.connect', 'consumer.connect', `consumer.subscribe ${TOPIC}`, 'consumer.run']);
    expect(runConfigs).toHaveLength(1);
    // What the library passed (eachMessage) plus our autoCommit: had it passed anything else, this would show it.
    expect(Object.keys(runConfigs[0]).sort()).toEqual(['autoCommit', 'eachMessage']);
    expect(runConfigs[0].autoCommit).toBe(false);
  });

  test('a record goes to the subscribers of its channel header, and its offset is committed on the timer', async () => {
    jest.useFakeTimers();
    const { events, runConfigs, committed } = fakeKafka();
    await events.start();
    const got: SourceRecord[] = [];
    const id = await events.subscribe(ROOM, (record) => got.push(record));
    await events.subscribe('sessions', () => {
      throw new Error('not this channel');
    });

    await runConfigs[0].eachMessage!(payload(ROOM, '41'));
    expect(got.map((r) => r.offset)).toEqual(['41']);
    expect(committed).toEqual([]); // not after every record (nor batch)

    jest.advanceTimersByTime(COMMIT_INTERVAL_MS);
    await Promise.resolve();
    expect(committed).toEqual([{ topic: TOPIC, partition: partitionOfKey(ROOM, PARTITIONS), offset: '42' }]);

    events.unsubscribe(id);
    await runConfigs[0].eachMessage!(payload(ROOM, '42'));
    expect(got).toHaveLength(1);
  });

  test("stop() disconnects the library's own consumer and producer (private fields, reached by name) and deletes the group", async () => {
    const { events, calls, deletedGroups } = fakeKafka();
    await events.start();
    await events.stop();
    expect(calls.slice(-2)).toEqual(['consumer.disconnect', 'producer.disconnect']);
    expect(deletedGroups).toEqual([`${TOPIC}.gateway.gw1`]);
    await expect(events.subscribe(ROOM, () => undefined)).rejects.toThrow('not being read');
  });

  test('with readServedPartitionsOnly, it pauses all but the sessions partition at its join, resumes a partition from its end for its first subscriber and pauses it after the last', async () => {
    const { events, calls, join, runConfigs, counts } = fakeKafka(true);
    await events.start();
    const sessions = partitionOfKey(SESSIONS_CHANNEL, PARTITIONS);
    const room = partitionOfKey(ROOM, PARTITIONS);
    expect(room).not.toBe(sessions); // else pick another ROOM
    join();
    const others = range(0, PARTITIONS - 1).filter((p) => p !== sessions);
    expect(calls.at(-1)).toBe(`pause ${others.join(',')}`);

    calls.length = 0;
    const first = await events.subscribe(ROOM, () => undefined);
    expect(calls).toEqual([`seek ${room}@${100 + room}`, `resume ${room}`]);
    const second = await events.subscribe(ROOM, () => undefined);
    await events.subscribe(SESSIONS_CHANNEL, () => undefined);
    expect(calls).toHaveLength(2); // already read

    await runConfigs[0].eachMessage!(payload(ROOM, '7'));
    await runConfigs[0].eachMessage!(payload('another room', '8'));
    expect(counts).toEqual({ fetched: 2, delivered: 1 });

    events.unsubscribe(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(2); // one subscriber left
    events.unsubscribe(second);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.at(-1)).toBe(`pause ${room}`);
  });

  test('a subscriber whose partition could not be resumed (the broker did not answer) is not counted: the next one resumes it, and it is paused after that one leaves', async () => {
    const { events, calls, join, failEndOffsets } = fakeKafka(true);
    await events.start();
    join();
    const room = partitionOfKey(ROOM, PARTITIONS);
    failEndOffsets(true);
    await expect(events.subscribe(ROOM, () => undefined)).rejects.toThrow('broker away');
    failEndOffsets(false);
    calls.length = 0;
    const id = await events.subscribe(ROOM, () => undefined);
    expect(calls).toEqual([`seek ${room}@${100 + room}`, `resume ${room}`]);
    events.unsubscribe(id);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.at(-1)).toBe(`pause ${room}`);
  });
});
