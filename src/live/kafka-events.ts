import { KafkaPubSub } from 'graphql-kafkajs-subscriptions';
import type { Admin, Consumer, ConsumerConfig, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG, deleteGroupQuietly } from '../kafka/client';
import { PeriodicCommits } from '../kafka/commits';
import type { Metrics } from '../observe/metrics';
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
 */
export class KafkaEvents implements EventSource {
  private pubsub: KafkaPubSub | null = null;
  private commits: PeriodicCommits | null = null;
  private readonly groupId: string;

  constructor(
    private readonly kafka: Pick<Kafka, 'producer' | 'consumer'>,
    private readonly admin: Admin,
    private readonly config: Pick<Config, 'topics' | 'instanceId'>,
    private readonly log: Logger,
    private readonly metrics: Pick<Metrics, 'watchConsumer'>,
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
    const watched = {
      producer: kafka.producer.bind(kafka),
      consumer: (config: ConsumerConfig) => {
        const consumer = kafka.consumer(config);
        this.metrics.watchConsumer('messages', consumer);
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

  subscribe(channel: string, onRecord: (record: SourceRecord) => void): Promise<number> {
    if (!this.pubsub) return Promise.reject(new Error('the events topic is not being read (start() first)'));
    return this.pubsub.subscribe(channel, onRecord);
  }

  /** Produces an ephemeral event (typing, presence) by its route; the worker produces all the others. */
  async publish(event: ChatEvent): Promise<void> {
    if (!this.pubsub) throw new Error('the events topic is not being read (start() first)');
    const { key, channel } = eventRoute(event);
    await this.pubsub.publish(channel, JSON.stringify(event), {}, undefined, key);
  }

  unsubscribe(id: number): void {
    this.pubsub?.unsubscribe(id);
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
