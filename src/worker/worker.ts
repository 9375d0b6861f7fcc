import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Consumer, IHeaders, KafkaMessage, Kafka, Message as KafkaRecord, Producer } from 'kafkajs';
import type { Config } from '../config';
import {
  CHANNEL_HEADER,
  RECORD_VERSION,
  REPLY_TO_HEADER,
  RecordFormatError,
  eventRoute,
  parseCommand,
  readableCommandId,
  type ChatEvent,
  type Command,
  type Reply,
} from '../contracts/records';
import { UserError } from '../errors';
import { errorFields, type Logger } from '../log';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG } from '../kafka/client';
import { isStoreUnavailable } from '../store/unavailable';
import { HANDLERS, type Outcome } from './handlers';

const WORKER_SESSION_TIMEOUT_MS = 10_000;

type HeaderValue = NonNullable<IHeaders[string]>;

/** What a command left behind; stored, so a redelivery re-emits exactly this. */
interface Applied {
  reply: Reply;
  events: ChatEvent[];
}

/**
 * PostgreSQL errors of the data itself (bad values, missing references):
 * retrying the same command cannot succeed. A unique violation is not one of
 * them: it comes from a concurrent duplicate, and the retry finds the winner.
 */
const isDataError = (err: unknown) => {
  const code = String((err as { code?: string }).code ?? '');
  return code.startsWith('22') || ['23502', '23503', '23514'].includes(code);
};

/** Pause between attempts at a command while PostgreSQL is unreachable: doubling from the first to the cap. */
const STORE_RETRY_FIRST_MS = 200;
const STORE_RETRY_MAX_MS = 2000;

/**
 * Thrown out of eachMessage when the worker stops while waiting for
 * PostgreSQL: kafkajs then does not commit the command's offset, so it is
 * delivered again (to this worker's successor or another member).
 */
class StoppedWhileWaiting extends Error {
  constructor(commandId: string) {
    super(`worker stopping while command ${commandId} waits for the database; it will be redelivered`);
    this.name = 'StoppedWhileWaiting';
  }
}

/**
 * Applies commands from chat.commands. Knows nothing of GraphQL. For each
 * command: one transaction, then its events and the reply are produced,
 * and only then is the offset committed (kafkajs commits after eachMessage
 * returns), so a crash anywhere leads to a redelivery, never to a loss.
 */
export class Worker {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  /** Aborted by stop(): ends a wait for PostgreSQL at once. */
  private readonly stopping = new AbortController();

  constructor(
    kafka: Kafka,
    private readonly orm: MikroORM,
    private readonly config: Pick<Config, 'topics' | 'partitions'>,
    private readonly log: Logger,
  ) {
    this.consumer = kafka.consumer({
      ...CONSUMER_DEFAULTS,
      groupId: `${config.topics.commands}.worker`,
      // A crashed worker's partitions wait for its session to expire before another takes them: keep that short.
      sessionTimeout: WORKER_SESSION_TIMEOUT_MS,
      heartbeatInterval: 1_000,
    });
    this.producer = kafka.producer(PRODUCER_CONFIG);
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    // A group that never committed starts at the beginning: commands sent before any worker ran are not skipped.
    await this.consumer.subscribe({ topic: this.config.topics.commands, fromBeginning: true });
    await this.consumer.run({
      // Each partition in order, different partitions side by side: a room's commands share a partition.
      partitionsConsumedConcurrently: this.config.partitions,
      eachMessage: ({ message, partition, heartbeat }) => this.handle(message, partition, heartbeat),
    });
  }

  /**
   * Leaves the group after the message in hand is done, so its offset is
   * committed; one still waiting for PostgreSQL is given up uncommitted, for redelivery.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async handle(record: KafkaMessage, partition: number, heartbeat: () => Promise<void>): Promise<void> {
    const replyTo = record.headers?.[REPLY_TO_HEADER];
    let command: Command;
    try {
      command = parseCommand(record.value);
    } catch (err) {
      if (!(err instanceof RecordFormatError)) throw err;
      await this.setAside(record, partition, err.message);
      // A gateway wrote it, so it is a fault, not the user's: its caller learns at once instead of timing out.
      const commandId = readableCommandId(record.value);
      if (commandId !== null && replyTo !== undefined) {
        await this.reply(replyTo, errorReply(commandId, 'INTERNAL_SERVER_ERROR', 'The request could not be processed.'));
      }
      return;
    }

    let applied: Applied | null;
    try {
      applied = await this.applyOnceStoreAnswers(command, heartbeat);
    } catch (err) {
      if (!isDataError(err)) throw err; // another fault: kafkajs retries the message
      this.log.error('command rejected by the database', { commandId: command.id, type: command.type, ...errorFields(err) });
      await this.setAside(record, partition, `database rejected the command: ${(err as Error).message}`);
      applied = { reply: errorReply(command.id, 'INTERNAL_SERVER_ERROR', 'The request could not be applied.'), events: [] };
    }
    if (applied === null) return;

    const messages: { topic: string; messages: KafkaRecord[] }[] = [];
    if (applied.events.length > 0) {
      messages.push({
        topic: this.config.topics.messages,
        messages: applied.events.map((event) => {
          const { key, channel } = eventRoute(event);
          return { key, value: JSON.stringify(event), headers: { [CHANNEL_HEADER]: channel } };
        }),
      });
    }
    if (replyTo !== undefined) messages.push(this.replyRecords(replyTo, applied.reply));
    if (messages.length > 0) await this.producer.sendBatch({ topicMessages: messages });
  }

  private replyRecords(replyTo: HeaderValue, reply: Reply) {
    return {
      topic: this.config.topics.replies,
      messages: [{ key: String(replyTo), value: JSON.stringify(reply), headers: { [REPLY_TO_HEADER]: replyTo } as IHeaders }],
    };
  }

  private async reply(replyTo: HeaderValue, reply: Reply): Promise<void> {
    await this.producer.send(this.replyRecords(replyTo, reply));
  }

  /**
   * apply(), retried with capped backoff for as long as PostgreSQL is
   * unreachable, so the worker rides out an outage by itself and keeps the
   * command order of its partitions. Heartbeats between attempts keep it in
   * the group. Each attempt starts over (loadApplied, deadline, transaction):
   * a commit whose answer was lost is found, and a command that expired
   * meanwhile is dropped.
   */
  private async applyOnceStoreAnswers(command: Command, heartbeat: () => Promise<void>): Promise<Applied | null> {
    let waitingSince: number | null = null;
    for (let delay = STORE_RETRY_FIRST_MS; ; delay = Math.min(delay * 2, STORE_RETRY_MAX_MS)) {
      try {
        const applied = await this.apply(command);
        if (waitingSince !== null) {
          this.log.info('database reachable again; command handled', { commandId: command.id, waitedMs: Date.now() - waitingSince });
        }
        return applied;
      } catch (err) {
        if (!isStoreUnavailable(err)) throw err;
        if (waitingSince === null) {
          waitingSince = Date.now();
          this.log.warn('database unavailable; retrying the command until it answers', {
            commandId: command.id,
            type: command.type,
            ...errorFields(err),
          });
        }
      }
      await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopping.signal.aborted) throw new StoppedWhileWaiting(command.id);
      await heartbeat();
    }
  }

  /** Returns what the command did, applying it only if it never was; null when it expired unapplied. */
  private async apply(command: Command): Promise<Applied | null> {
    const stored = await this.loadApplied(command.id);
    if (stored) return stored;
    if (Date.now() > command.deadline) {
      // Its caller has been told the outcome is unknown and may have retried: applying it now would surprise.
      this.log.warn('dropping expired command', { commandId: command.id, type: command.type });
      return null;
    }
    try {
      return await this.orm.em.fork().transactional(async (tx) => {
        const outcome: Outcome = await (HANDLERS[command.type] as (t: typeof tx, c: Command) => Promise<Outcome>)(tx, command);
        const applied: Applied = {
          reply: { v: RECORD_VERSION, commandId: command.id, ok: true, result: outcome.result },
          events: outcome.events,
        };
        await this.record(tx, command.id, applied);
        return applied;
      });
    } catch (err) {
      if (err instanceof UserError) {
        // Stored too, so a redelivery answers the same even if the world changed since.
        const applied: Applied = { reply: errorReply(command.id, err.code, err.message), events: [] };
        await this.record(this.orm.em.fork(), command.id, applied);
        return applied;
      }
      if ((err as { code?: string }).code === '23505') {
        // Another worker (a zombie after a rebalance) applied it concurrently: use its outcome.
        const concurrent = await this.loadApplied(command.id);
        if (concurrent) return concurrent;
      }
      throw err;
    }
  }

  private async loadApplied(commandId: string): Promise<Applied | null> {
    const [row] = await this.orm.em
      .fork()
      .execute('select reply, events from processed_commands where id = ?', [commandId]);
    return row ? { reply: row.reply as Reply, events: row.events as ChatEvent[] } : null;
  }

  private async record(em: MikroORM['em'], commandId: string, applied: Applied): Promise<void> {
    await em.execute('insert into processed_commands (id, reply, events, processed_at) values (?, ?, ?, now())', [
      commandId,
      JSON.stringify(applied.reply),
      JSON.stringify(applied.events),
    ]);
  }

  /** Poison records go to the dead-letter topic with the reason; the consumer moves on. */
  private async setAside(record: KafkaMessage, partition: number, reason: string): Promise<void> {
    this.log.warn('command set aside to the dead-letter topic', { reason, partition, offset: record.offset });
    await this.producer.send({
      topic: this.config.topics.deadLetter,
      messages: [
        {
          key: record.key,
          value: record.value,
          headers: {
            ...record.headers,
            'dead-letter-reason': reason,
            'dead-letter-source': `${this.config.topics.commands}/${partition}/${record.offset}`,
          },
        },
      ],
    });
  }
}

function errorReply(commandId: string, code: string, message: string): Reply {
  return { v: RECORD_VERSION, commandId, ok: false, error: { code, message } };
}
