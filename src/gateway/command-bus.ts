import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import type { Admin, Consumer, Kafka, Message as KafkaRecord, Producer } from 'kafkajs';
import type { Config } from '../config';
import {
  commandKey,
  type ActorOf,
  type CommandEnvelope,
  type CommandPayloads,
  type CommandResults,
  type CommandType,
} from '../contracts/commands';
import { RECORD_VERSION, REPLY_PARTITION_HEADER, REPLY_TO_HEADER, parseReply, type Reply } from '../contracts/records';
import { ServiceUnavailableError, UserError, isUserErrorCode } from '../errors';
import { errorFields, type Logger } from '../log';
import type { Metrics } from '../observe/metrics';
import { startSpan, tracingOn, withTraceHeaders } from '../observe/tracing';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG, allPartitionsBut, deleteGroupQuietly, runFromNow } from '../kafka/client';
import { PeriodicCommits } from '../kafka/commits';

/** Ends the group id of a gateway that reads one partition of chat.replies: `.p<partition>`. */
const PARTITION_SUFFIX = '.p';

interface Pending {
  /** null: no reply will come (timed out or shutting down). */
  resolve(reply: Reply | null): void;
  timer: NodeJS.Timeout;
}

/** A command waiting for the next produce request. */
interface Queued {
  commandId: string;
  type: CommandType;
  record: KafkaRecord;
  /** This command's trace span, when tracing is on. */
  span?: Span;
}

/**
 * The gateway's side of the write path: produces a command and waits, bounded,
 * for the worker's reply. Replies carry this instance's id in a header; each
 * gateway reads chat.replies in a consumer group of its own and keeps only its
 * replies, so a reply reaches the instance that waits for it however many run.
 *
 * With readServedPartitionsOnly (the default) the gateway also picks a
 * partition of chat.replies, the one fewest running gateways read, names it on
 * each command (REPLY_PARTITION_HEADER), and pauses every other partition: it
 * fetches its own replies and, only when there are more gateways than
 * partitions, those of the few it shares with.
 */
export class CommandBus {
  private readonly producer: Producer;
  private consumer: Consumer | null = null;
  private commits: PeriodicCommits | null = null;
  private groupId: string;
  private readonly pending = new Map<string, Pending>();
  private readonly queued: Queued[] = [];
  private readonly instanceTag: Buffer;
  /** The header naming this gateway's partition of chat.replies; none when it reads them all. */
  private replyPartitionTag: Buffer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly config: Pick<Config, 'topics' | 'instanceId' | 'commandTimeoutMs' | 'readServedPartitionsOnly'>,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.producer = kafka.producer(PRODUCER_CONFIG);
    this.groupId = `${config.topics.replies}.gateway.${config.instanceId}`;
    this.instanceTag = Buffer.from(config.instanceId);
  }

  /** This gateway's partition of chat.replies; null when it reads every partition. */
  get replyPartition(): number | null {
    return this.replyPartitionTag === null ? null : Number(this.replyPartitionTag.toString());
  }

  async start(): Promise<void> {
    const topic = this.config.topics.replies;
    const partitions = (await this.admin.fetchTopicOffsets(topic)).length;
    let own: number | null = null;
    if (this.config.readServedPartitionsOnly) {
      own = await this.leastReadPartition(partitions);
      this.replyPartitionTag = Buffer.from(String(own));
      this.groupId = `${this.groupId}${PARTITION_SUFFIX}${own}`; // how the next gateway sees it taken
    }
    const consumer = (this.consumer = this.kafka.consumer({ ...CONSUMER_DEFAULTS, groupId: this.groupId }));
    this.metrics.watchConsumer('replies', consumer);
    this.metrics.countPartitionsRead('replies', () => (own === null ? partitions : 1));
    const counted = this.metrics.recordCounters('replies');
    const commits = (this.commits = new PeriodicCommits(consumer, this.log));
    if (own !== null) {
      // At the join, before the first fetch: kafkajs has no assign(), but a paused partition is never fetched.
      const others = allPartitionsBut(partitions, new Set([own]));
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
      });
    }
    await this.producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic });
    commits.start();
    await runFromNow(this.admin, consumer, topic, {
      autoCommit: false, // this.commits instead
      eachMessage: async ({ topic, partition, message }) => {
        commits.processed(topic, partition, message.offset);
        counted.fetched.inc();
        const to = message.headers?.[REPLY_TO_HEADER];
        // Cheap header check first: most replies in a multi-gateway setup are someone else's.
        if (!Buffer.isBuffer(to) || !to.equals(this.instanceTag)) return;
        counted.delivered.inc();
        let reply: Reply;
        try {
          reply = parseReply(message.value);
        } catch (err) {
          this.log.warn('dropping unreadable reply', errorFields(err));
          return;
        }
        this.settle(reply.commandId, reply); // a no-op when its caller already gave up
      },
    });
  }

  /**
   * The partition of chat.replies that the fewest running gateways read (by
   * their groups' names and members), at random among equals: no two
   * gateways share one while there are partitions to spare. Two gateways
   * starting at the same moment may pick the same one: it costs each the
   * other's replies, nothing more.
   */
  private async leastReadPartition(partitions: number): Promise<number> {
    const prefix = `${this.config.topics.replies}.gateway.`;
    const readers = new Array<number>(partitions).fill(0);
    try {
      const { groups } = await this.admin.listGroups();
      const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix) && id.includes(PARTITION_SUFFIX));
      const described = ours.length > 0 ? (await this.admin.describeGroups(ours)).groups : [];
      for (const group of described) {
        if (group.members.length === 0) continue; // a stopped or crashed gateway's
        const partition = Number(group.groupId.slice(group.groupId.lastIndexOf(PARTITION_SUFFIX) + PARTITION_SUFFIX.length));
        if (Number.isInteger(partition) && partition >= 0 && partition < partitions) readers[partition]++;
      }
    } catch (err) {
      this.log.warn('could not see which reply partitions other gateways read; picking one at random', errorFields(err));
    }
    const fewest = Math.min(...readers);
    const candidates = readers.flatMap((count, partition) => (count === fewest ? [partition] : []));
    return candidates[Math.floor(Math.random() * candidates.length)];
  }

  /**
   * Sends a command, keyed as its definition says, and returns the worker's
   * result. A user error in the reply is thrown as UserError; no reply within
   * the bound is SERVICE_UNAVAILABLE with the command id, because the outcome
   * is then unknown.
   */
  async send<T extends CommandType>(type: T, actorId: ActorOf<T>, payload: CommandPayloads[T]): Promise<CommandResults[T]> {
    const command: CommandEnvelope<T> = {
      v: RECORD_VERSION,
      id: randomUUID(),
      type,
      actorId,
      deadline: Date.now() + this.config.commandTimeoutMs,
      payload,
    };
    const replied = new Promise<Reply | null>((resolve) => {
      const timer = setTimeout(() => this.settle(command.id, null), this.config.commandTimeoutMs);
      this.pending.set(command.id, { resolve, timer });
    });
    // The produce counts against the same bound: a broker that does not take the command ends the wait early.
    // Tracing (off unless configured): the trace of this mutation goes with the command (src/observe/tracing.ts).
    const span = startSpan(`command ${type}`, null);
    const headers = withTraceHeaders({ [REPLY_TO_HEADER]: this.instanceTag }, span);
    if (this.replyPartitionTag) headers[REPLY_PARTITION_HEADER] = this.replyPartitionTag;
    this.enqueue({ commandId: command.id, type, record: { key: commandKey(type, actorId, payload), value: JSON.stringify(command), headers }, span });
    const reply = await replied;
    span?.end();
    if (reply === null) {
      // Even a failed produce may have reached the broker: the outcome is unknown, not "not applied".
      throw new ServiceUnavailableError(
        'The service did not confirm the request in time; its outcome is unknown. Retrying with the same clientMessageId is safe.',
        { commandId: command.id, outcome: 'UNKNOWN' },
      );
    }
    if (reply.ok) return reply.result as CommandResults[T];
    if (isUserErrorCode(reply.error.code)) throw new UserError(reply.error.code, reply.error.message, reply.error.details);
    throw new Error(`command ${command.id} failed in the worker: ${reply.error.message}`);
  }

  /**
   * Commands sent in the same turn of the event loop go out in one produce
   * request: under load that is one round trip to the broker for many
   * mutations instead of one each, and alone it costs nothing.
   */
  private enqueue(item: Queued): void {
    this.queued.push(item);
    if (this.queued.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.queued.splice(0);
    const produced = this.producer.send({ topic: this.config.topics.commands, messages: batch.map((item) => item.record) });
    if (tracingOn()) void produced.then(() => batch.forEach((item) => item.span?.addEvent('produced')), () => undefined);
    produced.catch((err: unknown) => {
      for (const { commandId, type } of batch) {
        this.log.warn('could not enqueue command', { commandId, type, ...errorFields(err) });
        this.settle(commandId, null);
      }
    });
  }

  /** Ends one wait with the reply, or with null when none will come. */
  private settle(commandId: string, reply: Reply | null): void {
    const waiter = this.pending.get(commandId);
    if (!waiter) return; // already settled or timed out
    this.pending.delete(commandId);
    clearTimeout(waiter.timer);
    waiter.resolve(reply);
  }

  /** Callers still waiting get SERVICE_UNAVAILABLE (outcome unknown). */
  async stop(): Promise<void> {
    for (const commandId of [...this.pending.keys()]) this.settle(commandId, null);
    this.commits?.stop(); // the group is this process's alone and is deleted: nothing to commit at the end
    await this.consumer?.disconnect();
    await this.producer.disconnect();
    await deleteGroupQuietly(this.admin, this.groupId, this.log);
  }
}
