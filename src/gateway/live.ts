import { KafkaPubSub } from 'graphql-kafkajs-subscriptions';
import type { Admin, Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Config } from '../config';
import { parseMessageEvent, type MessageRecord } from '../contracts/records';
import { errorFields, type Logger } from '../log';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG, deleteGroupQuietly } from '../kafka/client';

/** Stored messages with afterSeq < seq < beforeSeq, ascending, at most HISTORY_PAGE of them. */
export type History = (afterSeq: number, beforeSeq?: number) => Promise<MessageRecord[]>;
export const HISTORY_PAGE = 500;

/**
 * Live room messages for this gateway: graphql-kafkajs-subscriptions reads
 * chat.messages in a consumer group of this process alone (the library's
 * default group would split the partitions between gateways) and routes each
 * record by its `channel` header, the room id, to that room's streams.
 */
export class LiveMessages {
  private pubsub: KafkaPubSub | null = null;
  private readonly groupId: string;
  private readonly streams = new Set<RoomStream>();
  /** Each record is parsed once, however many subscribers its room has. */
  private readonly parsed = new WeakMap<KafkaMessage, MessageRecord | null>();

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly config: Pick<Config, 'topics' | 'instanceId'>,
    private readonly log: Logger,
  ) {
    this.groupId = `${config.topics.messages}.gateway.${config.instanceId}`;
  }

  async start(): Promise<void> {
    // The new group starts at the end of the topic; nobody subscribes before start() returns,
    // and a stream fills any hole it sees from the database.
    this.pubsub = await KafkaPubSub.create({
      kafka: this.kafka,
      topic: this.config.topics.messages,
      groupIdPrefix: this.groupId,
      consumerConfig: { ...CONSUMER_DEFAULTS, groupId: this.groupId },
      producerConfig: PRODUCER_CONFIG,
    });
  }

  /**
   * Messages of a room in seq order, each once. With afterSeq: the stored ones
   * after it, then live ones; the live subscription starts before the stored
   * ones are read, so nothing falls between the two.
   */
  async open(roomId: string, afterSeq: number | null, history: History): Promise<AsyncIterableIterator<MessageRecord>> {
    const pubsub = this.pubsub;
    if (!pubsub) throw new Error('live messages are not started');
    let subscriptionId: number | undefined;
    const stream = new RoomStream(history, afterSeq, () => {
      this.streams.delete(stream);
      if (subscriptionId !== undefined) pubsub.unsubscribe(subscriptionId);
    });
    this.streams.add(stream);
    subscriptionId = await pubsub.subscribe(roomId, (record: KafkaMessage) => {
      const message = this.parse(record);
      if (message) stream.push(message);
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
    await consumer.disconnect();
    await producer.disconnect();
    await deleteGroupQuietly(this.admin, this.groupId, this.log);
  }
}

type Waiter = { resolve(result: IteratorResult<MessageRecord>): void; reject(err: unknown): void };

/**
 * One subscriber's stream. Live messages arrive in `arrived`; a single pump
 * turns them into the gap-free, repeat-free sequence in `ready`: it drops seqs
 * already delivered and fills any hole from the database before going on.
 */
class RoomStream implements AsyncIterableIterator<MessageRecord> {
  private readonly arrived: MessageRecord[] = [];
  private readonly ready: MessageRecord[] = [];
  private waiter: Waiter | null = null;
  private failure: unknown = null;
  private closed = false;
  private pumping = false;
  private replayPending: boolean;
  /** The seq of the last message delivered; null until the first live one when there is no afterSeq. */
  private lastSeq: number | null;

  constructor(
    private readonly history: History,
    afterSeq: number | null,
    private readonly onClose: () => void,
  ) {
    this.lastSeq = afterSeq;
    this.replayPending = afterSeq !== null;
  }

  start(): void {
    void this.pump();
  }

  push(message: MessageRecord): void {
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
        const message = this.arrived.shift()!;
        if (this.lastSeq === null) this.lastSeq = message.seq - 1;
        if (message.seq <= this.lastSeq) continue;
        if (message.seq > this.lastSeq + 1) await this.catchUp(message.seq);
        if (message.seq === this.lastSeq + 1) this.deliver(message);
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
      const page = await this.history(this.lastSeq ?? 0, beforeSeq);
      for (const message of page) this.deliver(message);
      if (page.length < HISTORY_PAGE || this.closed) return;
    }
  }

  private deliver(message: MessageRecord): void {
    if (this.closed) return;
    this.lastSeq = message.seq;
    if (this.waiter) {
      this.waiter.resolve({ value: message, done: false });
      this.waiter = null;
    } else {
      this.ready.push(message);
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

  next(): Promise<IteratorResult<MessageRecord>> {
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

  return(): Promise<IteratorResult<MessageRecord>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ready.length = 0;
    this.arrived.length = 0;
    this.onClose();
    if (this.waiter) {
      this.waiter.resolve({ value: undefined, done: true });
      this.waiter = null;
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MessageRecord> {
    return this;
  }
}
