import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
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
import { PeriodicCommits } from '../kafka/commits';
import { Metrics, type CommandOutcome } from '../observe/metrics';
import { isStoreUnavailable } from '../store/unavailable';
import { HANDLERS, type Outcome } from './handlers';

const WORKER_SESSION_TIMEOUT_MS = 10_000;

type HeaderValue = NonNullable<IHeaders[string]>;

/** What a command left behind; stored, so a redelivery re-emits exactly this. */
interface Applied {
  reply: Reply;
  events: ChatEvent[];
  /** Set when PostgreSQL refused the command's data: not stored, and the record is set aside. */
  rejectedByDatabase?: string;
  /** Time in its handler, when applied by this attempt (absent: loaded, applied before). */
  applySeconds?: number;
}

function outcomeOf(applied: Applied): CommandOutcome {
  if (applied.rejectedByDatabase !== undefined) return 'rejected';
  if (applied.applySeconds === undefined) return 'already_applied';
  return applied.reply.ok ? 'ok' : 'refused';
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

/** A PostgreSQL deadlock (40P01), serialization failure (40001) or unique violation (23505): another attempt resolves it. */
const isRetriableConflict = (err: unknown) => ['40P01', '40001', '23505'].includes(String((err as { code?: string }).code));
const MAX_CONFLICT_ATTEMPTS = 5;
/** Most commands applied in one transaction. */
const MAX_CHUNK = 100;

/** Pause between attempts at a command while PostgreSQL is unreachable: doubling from the first to the cap. */
const STORE_RETRY_FIRST_MS = 200;
const STORE_RETRY_MAX_MS = 2000;

/**
 * Thrown out of eachBatch when the worker stops while waiting for
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
 * Applies commands from chat.commands. Knows nothing of GraphQL. Partitions
 * are consumed side by side, each in order, in chunks: one transaction per
 * chunk, then the chunk's events and replies are produced, and only then is
 * its offset resolved (and committed by kafkajs), so a crash anywhere leads
 * to a redelivery, never to a loss.
 */
export class Worker {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly commits: PeriodicCommits;
  /** Aborted by stop(): ends a wait for PostgreSQL at once. */
  private readonly stopping = new AbortController();

  constructor(
    kafka: Kafka,
    private readonly orm: MikroORM,
    private readonly config: Pick<Config, 'topics' | 'partitions'>,
    private readonly log: Logger,
    private readonly metrics = new Metrics(),
  ) {
    this.consumer = kafka.consumer({
      ...CONSUMER_DEFAULTS,
      groupId: `${config.topics.commands}.worker`,
      // A crashed worker's partitions wait for its session to expire before another takes them: keep that short.
      sessionTimeout: WORKER_SESSION_TIMEOUT_MS,
      heartbeatInterval: 1_000,
    });
    this.commits = new PeriodicCommits(this.consumer, log);
    this.producer = kafka.producer(PRODUCER_CONFIG);
    metrics.watchConsumer('commands', this.consumer);
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    // A group that never committed starts at the beginning: commands sent before any worker ran are not skipped.
    await this.consumer.subscribe({ topic: this.config.topics.commands, fromBeginning: true });
    this.commits.start();
    await this.consumer.run({
      // Each partition in order, different partitions side by side: a room's commands share a partition.
      partitionsConsumedConcurrently: this.config.partitions,
      eachBatchAutoResolve: false,
      autoCommit: false, // this.commits instead
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += MAX_CHUNK) {
          if (!isRunning() || isStale()) break;
          const chunk = batch.messages.slice(i, i + MAX_CHUNK);
          const startedAt = performance.now();
          await this.handleChunk(chunk, batch.partition, heartbeat);
          const seconds = (performance.now() - startedAt) / 1000;
          this.metrics.workerBatch(seconds);
          this.log.debug('commands handled', { partition: batch.partition, records: chunk.length, ms: Math.round(seconds * 1000) });
          const last = chunk[chunk.length - 1].offset;
          resolveOffset(last);
          this.commits.processed(batch.topic, batch.partition, last);
          await heartbeat();
        }
        // Stopping: commit what is done while still in the group, so the successor starts after it.
        if (!isRunning()) await this.commits.flush();
      },
    });
  }

  /**
   * Leaves the group after the chunk in hand is done, so its offset is
   * committed; one still waiting for PostgreSQL is given up uncommitted, for redelivery.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    // What is done so far; a chunk still in hand commits itself at the end of its batch, before the group is left.
    await this.commits.flush();
    await this.consumer.disconnect();
    this.commits.stop();
    await this.producer.disconnect();
  }

  /**
   * One chunk of a partition's records, in order: poison is set aside, the
   * commands are applied in one transaction, then their events and replies
   * go out in one produce. Only after that is the chunk's offset resolved.
   */
  private async handleChunk(records: KafkaMessage[], partition: number, heartbeat: () => Promise<void>): Promise<void> {
    const commands: { command: Command; replyTo: HeaderValue | undefined; record: KafkaMessage }[] = [];
    for (const record of records) {
      const replyTo = record.headers?.[REPLY_TO_HEADER];
      try {
        commands.push({ command: parseCommand(record.value), replyTo, record });
      } catch (err) {
        if (!(err instanceof RecordFormatError)) throw err;
        await this.setAside(record, partition, err.message);
        this.metrics.commandDone('unknown', 'dead_letter');
        // A gateway wrote it, so it is a fault, not the user's: its caller learns at once instead of timing out.
        const commandId = readableCommandId(record.value);
        if (commandId !== null && replyTo !== undefined) {
          await this.reply(replyTo, errorReply(commandId, 'INTERNAL_SERVER_ERROR', 'The request could not be processed.'));
        }
      }
    }
    if (commands.length === 0) return;

    const outcomes = await this.applyOnceStoreAnswers(
      commands.map((c) => c.command),
      heartbeat,
    );
    const events: KafkaRecord[] = [];
    const replies: KafkaRecord[] = [];
    for (const { command, replyTo, record } of commands) {
      const outcome = outcomes.get(command.id);
      if (!outcome) {
        this.metrics.commandDone(command.type, 'expired');
        continue; // expired unapplied: nobody waits for it any more
      }
      this.metrics.commandDone(command.type, outcomeOf(outcome), outcome.applySeconds);
      if (outcome.rejectedByDatabase !== undefined) {
        await this.setAside(record, partition, `database rejected the command: ${outcome.rejectedByDatabase}`);
      }
      for (const event of outcome.events) {
        const { key, channel } = eventRoute(event);
        events.push({ key, value: JSON.stringify(event), headers: { [CHANNEL_HEADER]: channel } });
      }
      if (replyTo !== undefined) replies.push(this.replyRecord(replyTo, outcome.reply));
    }
    const topicMessages = [
      { topic: this.config.topics.messages, messages: events },
      { topic: this.config.topics.replies, messages: replies },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) await this.producer.sendBatch({ topicMessages });
  }

  private replyRecord(replyTo: HeaderValue, reply: Reply): KafkaRecord {
    return { key: String(replyTo), value: JSON.stringify(reply), headers: { [REPLY_TO_HEADER]: replyTo } as IHeaders };
  }

  private async reply(replyTo: HeaderValue, reply: Reply): Promise<void> {
    await this.producer.send({ topic: this.config.topics.replies, messages: [this.replyRecord(replyTo, reply)] });
  }

  /**
   * applyChunk(), retried with capped backoff for as long as PostgreSQL is
   * unreachable, so the worker rides out an outage by itself and keeps the
   * command order of its partitions. Heartbeats between attempts keep it in
   * the group. Each attempt starts over (stored outcomes, deadlines,
   * transaction): a commit whose answer was lost is found, and a command that
   * expired meanwhile is dropped. A deadlock, a serialization failure or a
   * concurrent duplicate (a zombie worker after a rebalance) also only needs
   * another attempt.
   */
  private async applyOnceStoreAnswers(commands: Command[], heartbeat: () => Promise<void>): Promise<Map<string, Applied>> {
    let waitingSince: number | null = null;
    for (let delay = STORE_RETRY_FIRST_MS, attempt = 1; ; delay = Math.min(delay * 2, STORE_RETRY_MAX_MS), attempt++) {
      try {
        const outcomes = await this.applyChunk(commands);
        if (waitingSince !== null) {
          this.log.info('database reachable again; commands handled', {
            commandId: commands[0].id,
            commands: commands.length,
            waitedMs: Date.now() - waitingSince,
          });
        }
        return outcomes;
      } catch (err) {
        const conflicting = isRetriableConflict(err) && attempt < MAX_CONFLICT_ATTEMPTS;
        if (!conflicting && !isStoreUnavailable(err)) throw err;
        if (!conflicting && waitingSince === null) {
          waitingSince = Date.now();
          this.log.warn('database unavailable; retrying the commands until it answers', {
            commandId: commands[0].id,
            type: commands[0].type,
            commands: commands.length,
            ...errorFields(err),
          });
        }
      }
      await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopping.signal.aborted) throw new StoppedWhileWaiting(commands[0].id);
      await heartbeat();
    }
  }

  /**
   * What each command did (absent: expired unapplied), applying only those
   * never applied before, in order, in one transaction. Each outcome is
   * stored with it, so a redelivery re-emits exactly the same.
   */
  private async applyChunk(commands: Command[]): Promise<Map<string, Applied>> {
    const outcomes = await this.loadApplied(commands.map((c) => c.id));
    const fresh = commands.filter((command) => {
      if (outcomes.has(command.id)) return false;
      if (Date.now() <= command.deadline) return true;
      // Its caller has been told the outcome is unknown and may have retried: applying it now would surprise.
      this.log.warn('dropping expired command', { commandId: command.id, type: command.type });
      return false;
    });
    if (fresh.length === 0) return outcomes;
    try {
      for (const [id, applied] of await this.applyInOneTransaction(fresh)) outcomes.set(id, applied);
    } catch (err) {
      if (isStoreUnavailable(err)) throw err;
      if (fresh.length > 1) {
        // A statement of one command failed, which undoes the whole transaction: apply them one by one.
        for (const command of fresh) for (const [id, applied] of await this.applyChunk([command])) outcomes.set(id, applied);
        return outcomes;
      }
      if (!isDataError(err)) throw err;
      const [command] = fresh;
      this.log.error('command rejected by the database', { commandId: command.id, type: command.type, ...errorFields(err) });
      outcomes.set(command.id, {
        reply: errorReply(command.id, 'INTERNAL_SERVER_ERROR', 'The request could not be applied.'),
        events: [],
        rejectedByDatabase: (err as Error).message,
      });
    }
    return outcomes;
  }

  /**
   * Handlers check before they write, so a command refused with a UserError
   * has written nothing and the others of the transaction stand. Its refusal
   * is stored too, so a redelivery answers the same even if the world changed since.
   */
  private async applyInOneTransaction(commands: Command[]): Promise<Map<string, Applied>> {
    return this.orm.em.fork().transactional(async (tx) => {
      const outcomes = new Map<string, Applied>();
      for (const command of commands) {
        const startedAt = performance.now();
        const applySeconds = () => (performance.now() - startedAt) / 1000;
        try {
          const outcome = await (HANDLERS[command.type] as (t: EntityManager, c: Command) => Promise<Outcome>)(tx, command);
          outcomes.set(command.id, {
            reply: { v: RECORD_VERSION, commandId: command.id, ok: true, result: outcome.result },
            events: outcome.events,
            applySeconds: applySeconds(),
          });
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          outcomes.set(command.id, { reply: errorReply(command.id, err.code, err.message), events: [], applySeconds: applySeconds() });
        }
      }
      await tx.execute(
        `insert into processed_commands (id, reply, events, processed_at) values ${commands.map(() => '(?, ?, ?, now())').join(', ')}`,
        [...outcomes].flatMap(([id, o]) => [id, JSON.stringify(o.reply), JSON.stringify(o.events)]),
      );
      return outcomes;
    });
  }

  private async loadApplied(commandIds: string[]): Promise<Map<string, Applied>> {
    const rows = await this.orm.em
      .fork()
      .execute(`select id, reply, events from processed_commands where id in (${commandIds.map(() => '?').join(', ')})`, commandIds);
    return new Map(rows.map((row) => [String(row.id), { reply: row.reply as Reply, events: row.events as ChatEvent[] }]));
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
