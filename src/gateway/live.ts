import { KafkaPubSub } from 'graphql-kafkajs-subscriptions';
import type { Admin, Consumer, ConsumerConfig, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Config } from '../config';
import {
  SESSIONS_CHANNEL,
  parseMessageEvent,
  parseSessionEndedEvent,
  type MessageRecord,
  type SessionEndedEvent,
} from '../contracts/records';
import { errorFields, type Logger } from '../log';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG, deleteGroupQuietly } from '../kafka/client';
import { PeriodicCommits } from '../kafka/commits';
import type { Metrics } from '../observe/metrics';

/** A message as one subscriber sees it. Live messages are new, so nobody has bookmarked them yet. */
export interface ViewedMessage {
  message: MessageRecord;
  bookmarked: boolean;
}

/** Stored messages with afterSeq < seq < beforeSeq, ascending, at most HISTORY_PAGE of them. */
export type History = (afterSeq: number, beforeSeq?: number) => Promise<ViewedMessage[]>;
export const HISTORY_PAGE = 500;

/**
 * Live events for this gateway: graphql-kafkajs-subscriptions reads
 * chat.messages in a consumer group of this process alone (the library's
 * default group would split the partitions between gateways) and routes each
 * record by its `channel` header: a room id to that room's streams,
 * SESSIONS_CHANNEL to the session listeners (logout closes sockets).
 */
export class LiveMessages {
  private pubsub: KafkaPubSub | null = null;
  private commits: PeriodicCommits | null = null;
  private readonly groupId: string;
  private readonly streams = new Set<RoomStream>();
  private readonly sessionListeners: ((event: SessionEndedEvent) => void)[] = [];
  /** Each record is parsed once, however many subscribers its room has. */
  private readonly parsed = new WeakMap<KafkaMessage, MessageRecord | null>();

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly config: Pick<Config, 'topics' | 'instanceId'>,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.groupId = `${config.topics.messages}.gateway.${config.instanceId}`;
    metrics.countSubscriptions(() => this.streams.size);
  }

  async start(): Promise<void> {
    // The new group starts at the end of the topic; nobody subscribes before start() returns,
    // and a stream fills any hole it sees from the database.
    // KafkaPubSub makes its consumer inside create() and has joined the group when it returns:
    // hand it a Kafka whose consumer() is watched from the start, and commits on a timer
    // (PeriodicCommits) instead of after every batch, which the library's run() cannot be told.
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
            eachMessage: eachMessage && (async (payload) => {
              await eachMessage(payload);
              commits.processed(payload.topic, payload.partition, payload.message.offset);
            }),
          });
        };
        return consumer;
      },
    } as Pick<Kafka, 'producer' | 'consumer'> as Kafka;
    this.pubsub = await KafkaPubSub.create({
      kafka: watched,
      topic: this.config.topics.messages,
      groupIdPrefix: this.groupId,
      consumerConfig: { ...CONSUMER_DEFAULTS, groupId: this.groupId },
      producerConfig: PRODUCER_CONFIG,
    });
    await this.pubsub.subscribe(SESSIONS_CHANNEL, (record: KafkaMessage) => {
      let event: SessionEndedEvent;
      try {
        event = parseSessionEndedEvent(record.value);
      } catch (err) {
        this.log.warn('ignoring unreadable session event', { offset: record.offset, ...errorFields(err) });
        return;
      }
      for (const listener of this.sessionListeners) listener(event);
    });
  }

  /** Calls `listener` for every token revoked from now on, whichever gateway revoked it. */
  onSessionEnded(listener: (event: SessionEndedEvent) => void): void {
    this.sessionListeners.push(listener);
  }

  /**
   * Messages of a room after `afterSeq`, in seq order, each once, as `viewerId`
   * sees them: the stored ones, then live ones. The live subscription starts
   * before the stored ones are read, so nothing falls between the two. The
   * stream ends at the viewer's own LEFT message.
   */
  async open(roomId: string, viewerId: string, afterSeq: number, history: History): Promise<AsyncIterableIterator<ViewedMessage>> {
    const pubsub = this.pubsub;
    if (!pubsub) throw new Error('live messages are not started');
    let subscriptionId: number | undefined;
    const stream = new RoomStream(history, viewerId, afterSeq, () => {
      this.streams.delete(stream);
      if (subscriptionId !== undefined) pubsub.unsubscribe(subscriptionId);
    });
    this.streams.add(stream);
    subscriptionId = await pubsub.subscribe(roomId, (record: KafkaMessage) => {
      const message = this.parse(record);
      if (message) stream.push({ message, bookmarked: false });
    });
    stream.start();
    return stream;
  }

  private parse(record: KafkaMessage): MessageRecord | null {
    let message = this.parsed.get(record);
    if (message === undefined) {
      try {
        message = parseMessageEvent(record.value).message;
      } catch (err) {
        this.log.warn('ignoring unreadable record on the messages topic', { offset: record.offset, ...errorFields(err) });
        message = null;
      }
      this.parsed.set(record, message);
      // Once per record, as it goes to the room's first subscriber on this gateway: where delivery latency ends.
      if (message) this.metrics.messageFannedOut(message.createdAt);
    }
    return message;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Ends every stream, leaves and deletes this process's consumer group. */
  async stop(): Promise<void> {
    for (const stream of [...this.streams]) stream.close();
    if (!this.pubsub) return;
    // The library keeps its consumer and producer private and has no close(): reach them by name.
    const { consumer, producer } = this.pubsub as unknown as { consumer: Consumer; producer: Producer };
    this.pubsub = null;
    this.commits?.stop(); // the group is deleted below: nothing to commit at the end
    await consumer.disconnect();
    await producer.disconnect();
    await deleteGroupQuietly(this.admin, this.groupId, this.log);
  }
}

type Waiter = { resolve(result: IteratorResult<ViewedMessage>): void; reject(err: unknown): void };

/**
 * One subscriber's stream. Live messages arrive in `arrived`; a single pump
 * turns them into the gap-free, repeat-free sequence in `ready`: it drops seqs
 * already delivered and fills any hole from the database before going on.
 */
class RoomStream implements AsyncIterableIterator<ViewedMessage> {
  private readonly arrived: ViewedMessage[] = [];
  private readonly ready: ViewedMessage[] = [];
  private waiter: Waiter | null = null;
  private failure: unknown = null;
  /** No more messages will be added; what is ready is still handed out. */
  private closed = false;
  private pumping = false;
  private replayPending = true;

  constructor(
    private readonly history: History,
    private readonly viewerId: string,
    /** The seq of the last message delivered. */
    private lastSeq: number,
    private readonly onClose: () => void,
  ) {}

  start(): void {
    void this.pump();
  }

  push(message: ViewedMessage): void {
    if (this.closed) return;
    this.arrived.push(message);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      if (this.replayPending) {
        await this.catchUp();
        this.replayPending = false;
      }
      while (this.arrived.length > 0 && !this.closed) {
        const item = this.arrived.shift()!;
        const seq = item.message.seq;
        if (seq <= this.lastSeq) continue;
        if (seq > this.lastSeq + 1) await this.catchUp(seq);
        if (seq === this.lastSeq + 1) this.deliver(item);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
    }
  }

  /** Delivers stored messages after lastSeq (and before beforeSeq), page by page. */
  private async catchUp(beforeSeq?: number): Promise<void> {
    for (;;) {
      const page = await this.history(this.lastSeq, beforeSeq);
      for (const item of page) this.deliver(item);
      if (page.length < HISTORY_PAGE || this.closed) return;
    }
  }

  private deliver(item: ViewedMessage): void {
    if (this.closed) return;
    this.lastSeq = item.message.seq;
    const { system } = item.message;
    if (system?.event === 'LEFT' && system.userId === this.viewerId) {
      // The viewer left the room: nothing from here on is theirs to read.
      this.close();
      return;
    }
    if (this.waiter) {
      this.waiter.resolve({ value: item, done: false });
      this.waiter = null;
    } else {
      this.ready.push(item);
    }
  }

  private fail(err: unknown): void {
    this.failure = err;
    if (this.waiter) {
      this.waiter.reject(err);
      this.waiter = null;
    }
    this.close();
  }

  next(): Promise<IteratorResult<ViewedMessage>> {
    if (this.ready.length > 0) return Promise.resolve({ value: this.ready.shift()!, done: false });
    if (this.failure !== null) {
      const err = this.failure;
      this.failure = null;
      return Promise.reject(err);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The subscriber went away: nothing more is handed out. */
  return(): Promise<IteratorResult<ViewedMessage>> {
    this.ready.length = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Takes no more messages; a waiting next() ends (one waits only when nothing is ready). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.arrived.length = 0;
    this.onClose();
    if (this.waiter) {
      this.waiter.resolve({ value: undefined, done: true });
      this.waiter = null;
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ViewedMessage> {
    return this;
  }
}
