import type { Admin, ConsumerConfig, ConsumerRunConfig, EachMessagePayload, Kafka, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { COMMIT_INTERVAL_MS } from '../../src/kafka/commits';
import type { Logger } from '../../src/log';
import { KafkaEvents } from '../../src/live/kafka-events';
import type { SourceRecord } from '../../src/live/router';

/**
 * KafkaEvents over a fake Kafka: what it relies on in graphql-kafkajs-subscriptions
 * (see its comment). If the library changes under the workarounds, these fail.
 */
const TOPIC = 'chat.messages';
const ROOM = '00000000-0000-4000-8000-00000000000a';
const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function fakeKafka() {
  const calls: string[] = [];
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
  const admin = { deleteGroups: async (ids: string[]) => void deletedGroups.push(...ids) } as unknown as Admin;
  const watched: string[] = [];
  const metrics = { watchConsumer: (name: string) => void watched.push(name) };
  const events = new KafkaEvents(kafka, admin, { topics: { messages: TOPIC } as never, instanceId: 'gw1' }, SILENT, metrics);
  return { events, calls, consumerConfigs, runConfigs, committed, deletedGroups, watched };
}

function payload(channel: string, offset: string): EachMessagePayload {
  return {
    topic: TOPIC,
    partition: 2,
    message: { key: null, value: Buffer.from('{}'), timestamp: '0', attributes: 0, offset, headers: { channel: Buffer.from(channel) } },
    heartbeat: async () => undefined,
    pause: () => () => undefined,
  };
}

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
    expect(committed).toEqual([{ topic: TOPIC, partition: 2, offset: '42' }]);

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
});
