import { KafkaPubSub } from 'graphql-kafkajs-subscriptions';
import type { Admin, Consumer, ConsumerConfig, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config';
import { CHANNEL_HEADER, SESSIONS_CHANNEL, channelKey } from '../contracts/records';
import type { Logger } from '../log';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG, deleteGroupQuietly, partitionOfKey } from '../kafka/client';
import { PeriodicCommits } from '../kafka/commits';
import type { Metrics } from '../observe/metrics';
import { PartitionGate } from './partition-gate';
import type { EventSource, SourceRecord } from './router';
import { eventRoute, type ChatEvent } from '../contracts/records';

/**
 * The events topic (chat.messages) as graphql-kafkajs-subscriptions reads it,
 * in a consumer group of this process alone (a shared group would split the
 * partitions between gateways), by the `channel` header. The only file that
 * touches the library. Two workarounds, each checked by
 * test/live/kafka-events.unit.test.ts so a change of the library fails there:
 * - its run() commits after every batch and cannot be told otherwise: the
 *   consumer it makes is handed out with a run() that runs with autoCommit
 *   off and commits on a timer (PeriodicCommits);
 * - it has no close(): its private `consumer` and `producer` are reached by name.
 *
 * It fetches only the partitions that hold a channel with a subscriber here,
 * and the one of SESSIONS_CHANNEL (PartitionGate): the library cannot pause,
 * but the consumer it makes is ours, so pause, seek and resume act on it. The
 * library still routes whatever is fetched.
 */
export class KafkaEvents implements EventSource {
  private pubsub: KafkaPubSub | null = null;
  private commits: PeriodicCommits | null = null;
  private consumer: Consumer | null = null;
  /** Null until started, and when every partition is read (readServedPartitionsOnly off). */
  private gate: PartitionGate | null = null;
  private partitions = 0;
  /** Subscription id → its channel and the channel's partition, to release them. */
  private readonly subscriptions = new Map<number, { channel: string; partition: number }>();
  /** Channels with a subscriber here → how many: a record of one is delivered, else fetched for nothing. */
  private readonly channels = new Map<string, number>();
  private readonly groupId: string;

  constructor(
    private readonly kafka: Pick<Kafka, 'producer' | 'consumer'>,
    private readonly admin: Admin,
    private readonly config: Pick<Config, 'topics' | 'instanceId' | 'readServedPartitionsOnly'>,
    private readonly log: Logger,
    private readonly metrics: Pick<Metrics, 'watchConsumer' | 'recordCounters' | 'countPartitionsRead'>,
  ) {
    this.groupId = `${config.topics.messages}.gateway.${config.instanceId}`;
  }

  /**
   * Joins the group; the library's create() returns once its consumer runs.
   * The new group starts at the end of the topic: nobody subscribes before
   * this returns, and a room stream fills any hole it sees from the store.
   */
  async start(): Promise<void> {
    const kafka = this.kafka;
    const topic = this.config.topics.messages;
    this.partitions = (await this.admin.fetchTopicOffsets(topic)).length;
    const counted = this.metrics.recordCounters('messages');
    const sessionsPartition = this.partitionOfChannel(SESSIONS_CHANNEL);
    const watched = {
      producer: kafka.producer.bind(kafka),
      consumer: (config: ConsumerConfig) => {
        const consumer = (this.consumer = kafka.consumer(config));
        this.metrics.watchConsumer('messages', consumer);
        if (this.config.readServedPartitionsOnly) this.gateConsumer(consumer);
        this.metrics.countPartitionsRead('messages', () => this.gate?.openCount ?? this.partitions);
        const commits = (this.commits = new PeriodicCommits(consumer, this.log));
        const run = consumer.run.bind(consumer);
        consumer.run = (runConfig) => {
          const eachMessage = runConfig?.eachMessage;
          commits.start();
          return run({
            ...runConfig,
            autoCommit: false,
            eachMessage:
              eachMessage &&
              (async (payload) => {
                // The sessions partition (sessions, presence) is read by every gateway by design: not counted as its traffic.
                if (payload.partition !== sessionsPartition) {
                  counted.fetched.inc();
                  const channel = payload.message.headers?.[CHANNEL_HEADER];
                  if (channel !== undefined && this.channels.has(String(channel))) counted.delivered.inc();
                }
                await eachMessage(payload);
                commits.processed(payload.topic, payload.partition, payload.message.offset);
              }),
          });
        };
        return consumer;
      },
    };
    this.pubsub = await KafkaPubSub.create({
      kafka: watched as Kafka,
      topic: this.config.topics.messages,
      groupIdPrefix: this.groupId,
      consumerConfig: { ...CONSUMER_DEFAULTS, groupId: this.groupId },
      producerConfig: PRODUCER_CONFIG,
    });
  }

  /**
   * Reads only the partitions with a reader here: every other one is paused
   * when the consumer joins its group (before its first fetch), and from then
   * on as its last reader leaves.
   */
  private gateConsumer(consumer: Consumer): void {
    const topic = this.config.topics.messages;
    const gate = (this.gate = new PartitionGate(
      {
        pause: (partitions) => consumer.pause([{ topic, partitions }]),
        endOffset: async (partition) => {
          // A concrete offset read now, not "latest" resolved at some later fetch: what was produced
          // before this read is in the store already, and the room stream reads history after it.
          const end = (await this.admin.fetchTopicOffsets(topic)).find((e) => e.partition === partition);
          if (!end) throw new Error(`${topic} has no partition ${partition}`);
          return end.high;
        },
        resumeAt: (partition, offset) => {
          consumer.seek({ topic, partition, offset });
          consumer.resume([{ topic, partitions: [partition] }]);
        },
      },
      this.partitions,
      new Set([this.partitionOfChannel(SESSIONS_CHANNEL)]),
    ));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      const closed = gate.closed();
      if (closed.length > 0) consumer.pause([{ topic, partitions: closed }]);
    });
  }

  private partitionOfChannel(channel: string): number {
    return partitionOfKey(channelKey(channel), this.partitions);
  }

  async subscribe(channel: string, onRecord: (record: SourceRecord) => void): Promise<number> {
    if (!this.pubsub) throw new Error('the events topic is not being read (start() first)');
    const partition = this.partitionOfChannel(channel);
    await this.gate?.acquire(partition);
    const id = await this.pubsub.subscribe(channel, onRecord);
    this.subscriptions.set(id, { channel, partition });
    this.channels.set(channel, (this.channels.get(channel) ?? 0) + 1);
    return id;
  }

  /** Produces an ephemeral event (typing, presence) by its route; the worker produces all the others. */
  async publish(event: ChatEvent): Promise<void> {
    if (!this.pubsub) throw new Error('the events topic is not being read (start() first)');
    const { key, channel } = eventRoute(event);
    await this.pubsub.publish(channel, JSON.stringify(event), {}, undefined, key);
  }

  unsubscribe(id: number): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return;
    const { channel, partition } = subscription;
    this.subscriptions.delete(id);
    this.pubsub?.unsubscribe(id);
    const left = (this.channels.get(channel) ?? 1) - 1;
    if (left > 0) this.channels.set(channel, left);
    else this.channels.delete(channel);
    this.gate?.release(partition);
  }

  /** Leaves and deletes this process's consumer group. */
  async stop(): Promise<void> {
    if (!this.pubsub) return;
    const { consumer, producer } = this.pubsub as unknown as { consumer?: Consumer; producer?: Producer };
    this.pubsub = null;
    this.commits?.stop(); // the group is deleted below: nothing to commit at the end
    if (!consumer || !producer) throw new Error('graphql-kafkajs-subscriptions no longer has the consumer and producer fields KafkaEvents.stop() closes');
    await consumer.disconnect();
    await producer.disconnect();
    await deleteGroupQuietly(this.admin, this.groupId, this.log);
  }
}
