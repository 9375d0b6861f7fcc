import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Span } from '@opentelemetry/api';
import type { Consumer, IHeaders, KafkaMessage, Kafka, Message as KafkaRecord, Producer } from 'kafkajs';
import type { Config } from '../config';
import { parseCommand, readableCommandId, type Command } from '../contracts/commands';
import {
  CHANNEL_HEADER,
  RECORD_VERSION,
  REPLY_TO_HEADER,
  REPLY_PARTITION_HEADER,
  RecordFormatError,
  eventRoute,
  type ChatEvent,
  type Reply,
} from '../contracts/records';
import { UserError } from '../errors';
import { errorFields, type Logger } from '../log';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG } from '../kafka/client';
import { PeriodicCommits } from '../kafka/commits';
import { Metrics, type CommandOutcome } from '../observe/metrics';
import { startSpan, tracingOn, withTraceHeaders } from '../observe/tracing';
import { StoreConflictError, StoreError, StoreUnavailableError } from '../store/errors';
import { loadProcessed, saveProcessed, sweepProcessed, type ProcessedCommand } from '../store/processed-commands';
import { sweepRevokedTokens } from '../store/revoked-tokens';
import { inPlainTransaction, type Tx } from '../store/transaction';
import { UNSENT_UPLOAD_KEEP_SECONDS, sweepUnsentUploads } from '../store/uploads';
import { handle } from './handlers';

const WORKER_SESSION_TIMEOUT_MS = 10_000;

type HeaderValue = NonNullable<IHeaders[string]>;

/** An event as produced: its key, its channel header and its value. */
interface OutgoingEvent {
  key: string;
  channel: string;
  value: string;
}

/** What a command left behind: the reply and events it sends, serialized once for Kafka and the store alike. */
interface Applied {
  reply: string;
  events: OutgoingEvent[];
  /** The outcome for metrics; `already_applied` when it was loaded (applied before). */
  outcome: CommandOutcome;
  /** Set when the command failed for good (refused by PostgreSQL, say): not stored, and the record is set aside. */
  rejected?: string;
  /** Time in its handler, when applied by this attempt. */
  applySeconds?: number;
}

function outgoing(event: ChatEvent): OutgoingEvent {
  return { ...eventRoute(event), value: JSON.stringify(event) };
}

/** A stored outcome, to be sent again. */
function reloaded({ reply, events }: ProcessedCommand): Applied {
  return { reply, events: (JSON.parse(events) as ChatEvent[]).map(outgoing), outcome: 'already_applied' };
}

/** Conflicts (a deadlock, a concurrent duplicate) resolve in a few attempts; more means a bug, not a race. */
const MAX_CONFLICT_ATTEMPTS = 5;
/** Most commands applied in one transaction. */
const MAX_CHUNK = 100;

/** Pause between attempts while the store fails retriably (unreachable, a conflict): doubling from the first to the cap. */
const STORE_RETRY_FIRST_MS = 200;
const STORE_RETRY_MAX_MS = 2000;

/**
 * How long an applied command's outcome is kept beyond its lifetime
 * (COMMAND_TIMEOUT_MS): for clocks that disagree, and so a redelivery soon
 * after a crash still re-emits its events. Past its deadline a command is
 * dropped unapplied, so its outcome is not needed for idempotency any more.
 */
const PROCESSED_MARGIN_MS = 10 * 60_000;
/** How often each worker removes outcomes and token revocations nobody needs any more, and how many rows at most per run. */
const SWEEP_INTERVAL_MS = 30_000;
const SWEEP_BATCH = 1000;
const SWEEP_MAX_BATCHES = 50;
const UPLOAD_SWEEP_BATCH = 20;

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
 * Thrown inside the transaction, just before COMMIT, when a command of the
 * chunk is past its deadline: the transaction is rolled back, and the chunk
 * is tried again without the expired commands.
 */
class ExpiredBeforeCommit extends Error {
  constructor(readonly commandIds: string[]) {
    super(`commands past their deadline before COMMIT: ${commandIds.join(', ')}`);
    this.name = 'ExpiredBeforeCommit';
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
  private sweeper: NodeJS.Timeout | null = null;
  /** The sweep in progress, awaited by stop() so it does not outlive the store. */
  private sweeping: Promise<unknown> | null = null;
  /** Partitions' chunks waiting for the next handleChunk() (see coalesced()), and the loop handling them. */
  private gathered: { records: KafkaMessage[]; partition: number; heartbeat: () => Promise<void>; resolve(): void; reject(err: unknown): void }[] = [];
  private handling: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly orm: MikroORM,
    private readonly config: Pick<Config, 'topics' | 'partitions' | 'commandTimeoutMs'>,
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
    this.sweeper = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = null));
    }, SWEEP_INTERVAL_MS).unref();
    await this.consumer.run({
      // Each partition in order, different partitions side by side: a room's commands share a partition.
      partitionsConsumedConcurrently: this.config.partitions,
      eachBatchAutoResolve: false,
      autoCommit: false, // this.commits instead
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += MAX_CHUNK) {
          if (!isRunning() || isStale()) break;
          const chunk = batch.messages.slice(i, i + MAX_CHUNK);
          await this.coalesced(chunk, batch.partition, heartbeat);
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
    if (this.sweeper) clearInterval(this.sweeper);
    await this.sweeping;
    // What is done so far; a chunk still in hand commits itself at the end of its batch, before the group is left.
    await this.commits.flush();
    await this.consumer.disconnect();
    this.commits.stop();
    await this.producer.disconnect();
  }

  /**
   * Hands a partition's chunk to the next handleChunk() and resolves when it
   * is done. kafkajs calls eachBatch for the partitions of one fetch side by
   * side; their chunks are gathered here (those that arrive while a
   * handleChunk() runs wait for it), so one fetch costs one transaction and
   * one produce, not one per partition. Each partition still waits for its
   * own chunk, so its order holds.
   */
  private coalesced(records: KafkaMessage[], partition: number, heartbeat: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.gathered.push({ records, partition, heartbeat, resolve, reject });
      if (!this.handling) this.handling = new Promise<void>((started) => setImmediate(started)).then(() => this.handleGathered());
    });
  }

  private async handleGathered(): Promise<void> {
    while (this.gathered.length > 0) {
      const chunks = this.gathered;
      this.gathered = [];
      const startedAt = performance.now();
      try {
        await this.handleChunk(
          chunks.flatMap(({ records, partition }) => records.map((record) => ({ record, partition }))),
          chunks[0].heartbeat,
        );
        const seconds = (performance.now() - startedAt) / 1000;
        this.metrics.workerBatch(seconds);
        this.log.debug('commands handled', { partitions: chunks.map((c) => c.partition), records: chunks.reduce((n, c) => n + c.records.length, 0), ms: Math.round(seconds * 1000) });
        for (const chunk of chunks) chunk.resolve();
      } catch (err) {
        for (const chunk of chunks) chunk.reject(err);
      }
    }
    this.handling = null;
  }

  /**
   * Chunks of partitions' records, each partition's in order: poison is set
   * aside, the commands are applied in one transaction, then their events
   * and replies go out in one produce. Only after that are the chunks'
   * offsets resolved.
   */
  private async handleChunk(records: { record: KafkaMessage; partition: number }[], heartbeat: () => Promise<void>): Promise<void> {
    const receivedAt = performance.now();
    const commands: { command: Command; replyTo: HeaderValue | undefined; record: KafkaMessage; partition: number; span?: Span }[] = [];
    for (const { record, partition } of records) {
      const replyTo = record.headers?.[REPLY_TO_HEADER];
      try {
        const command = parseCommand(record.value);
        // Tracing (off unless configured): the gateway's trace of this command goes on here.
        commands.push({ command, replyTo, record, partition, span: startSpan(`apply ${command.type}`, record.headers, receivedAt) });
      } catch (err) {
        if (!(err instanceof RecordFormatError)) throw err;
        await this.setAside(record, partition, err.message);
        this.metrics.commandDone('unknown', 'dead_letter');
        // A gateway wrote it, so it is a fault, not the user's: its caller learns at once instead of timing out.
        const commandId = readableCommandId(record.value);
        if (commandId !== null && replyTo !== undefined) {
          await this.reply(replyTo, JSON.stringify(errorReply(commandId, 'INTERNAL_SERVER_ERROR', 'The request could not be processed.')), record);
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
    for (const { command, replyTo, record, partition, span } of commands) {
      span?.addEvent('committed');
      const outcome = outcomes.get(command.id);
      if (!outcome) {
        this.metrics.commandDone(command.type, 'expired');
        continue; // expired unapplied: nobody waits for it any more
      }
      this.metrics.commandDone(command.type, outcome.outcome, outcome.applySeconds);
      if (command.type === 'MuteUser' && outcome.outcome === 'ok' && outcome.events.length > 0) this.metrics.moderationMuted(command.payload.rule);
      if (outcome.rejected !== undefined) await this.setAside(record, partition, `command failed: ${outcome.rejected}`);
      for (const { key, channel, value } of outcome.events) events.push({ key, value, headers: withTraceHeaders({ [CHANNEL_HEADER]: channel }, span) });
      if (replyTo !== undefined) replies.push(this.replyRecord(replyTo, outcome.reply, record, span));
    }
    const topicMessages = [
      { topic: this.config.topics.messages, messages: events },
      { topic: this.config.topics.replies, messages: replies },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) await this.producer.sendBatch({ topicMessages });
    if (tracingOn()) {
      for (const { span } of commands) {
        span?.addEvent('produced');
        span?.end();
      }
    }
  }

  /** The reply to `command`: on the partition its gateway reads, when it named one (REPLY_PARTITION_HEADER). */
  private replyRecord(replyTo: HeaderValue, reply: string, command: KafkaMessage, span?: Span): KafkaRecord {
    const partition = replyPartition(command.headers?.[REPLY_PARTITION_HEADER]);
    const headers = withTraceHeaders({ [REPLY_TO_HEADER]: replyTo } as IHeaders, span);
    return { key: String(replyTo), value: reply, headers, ...(partition === null ? {} : { partition }) };
  }

  private async reply(replyTo: HeaderValue, reply: string, command: KafkaMessage): Promise<void> {
    await this.producer.send({ topic: this.config.topics.replies, messages: [this.replyRecord(replyTo, reply, command)] });
  }

  /**
   * applyChunk(), retried with capped backoff while the store's error says it
   * is retriable: while PostgreSQL is unreachable, so the worker rides out an
   * outage by itself and keeps the command order of its partitions, and on a
   * conflict (a deadlock, or a concurrent duplicate from a zombie worker after
   * a rebalance). Heartbeats between attempts keep it in the group. Each
   * attempt starts over (stored outcomes, deadlines, transaction): a commit
   * whose answer was lost is found, and a command that expired meanwhile is dropped.
   */
  private async applyOnceStoreAnswers(commands: Command[], heartbeat: () => Promise<void>): Promise<Map<string, Applied>> {
    let waitingSince: number | null = null;
    let conflicts = 0;
    for (let delay = STORE_RETRY_FIRST_MS; ; delay = Math.min(delay * 2, STORE_RETRY_MAX_MS)) {
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
        if (!(err instanceof StoreError && err.retriable)) throw err;
        if (err instanceof StoreConflictError && ++conflicts >= MAX_CONFLICT_ATTEMPTS) throw err;
        if (err instanceof StoreUnavailableError && waitingSince === null) {
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
   * never applied before, in order, in one transaction that starts by loading
   * the stored outcomes. When that fails for good, they are applied one by
   * one, so only the failing command is set aside.
   */
  private async applyChunk(commands: Command[]): Promise<Map<string, Applied>> {
    const outcomes = new Map<string, Applied>();
    let fresh: Command[] = [];
    try {
      await inPlainTransaction(this.orm, async (tx) => {
        outcomes.clear();
        const { now, processed } = await loadProcessed(tx, commands.map((c) => c.id));
        for (const [id, stored] of processed) outcomes.set(id, reloaded(stored));
        fresh = commands.filter((command) => {
          if (outcomes.has(command.id)) return false;
          if (Date.now() <= command.deadline) return true;
          // Its caller has been told the outcome is unknown and may have retried: applying it now would surprise.
          this.log.warn('dropping expired command', { commandId: command.id, type: command.type });
          return false;
        });
        if (fresh.length === 0) return;
        for (const [id, applied] of await this.applyInTransaction(tx, now, fresh)) outcomes.set(id, applied);
      });
    } catch (err) {
      // Rolled back: start over, which drops the expired ones first (at least one more each time, so this ends).
      if (err instanceof ExpiredBeforeCommit) return this.applyChunk(commands);
      if (err instanceof StoreError && err.retriable) throw err;
      if (fresh.length === 0) throw err; // loading the outcomes failed, not a command
      for (const command of fresh) outcomes.delete(command.id);
      if (fresh.length > 1) {
        // A statement of one command failed, which undoes the whole transaction: apply them one by one.
        for (const command of fresh) for (const [id, applied] of await this.applyChunk([command])) outcomes.set(id, applied);
        return outcomes;
      }
      // The command itself fails (PostgreSQL refuses its data, say): retrying cannot help, so it is answered and set aside.
      const [command] = fresh;
      this.log.error('command failed; set aside', { commandId: command.id, type: command.type, ...errorFields(err) });
      outcomes.set(command.id, {
        reply: JSON.stringify(errorReply(command.id, 'INTERNAL_SERVER_ERROR', 'The request could not be applied.')),
        events: [],
        outcome: 'rejected',
        // PostgreSQL's messages quote values: the dead-letter header names only the SQLSTATE.
        rejected: err instanceof StoreError ? `PostgreSQL refused it (SQLSTATE ${err.code})` : err instanceof Error ? err.message : String(err),
      });
    }
    return outcomes;
  }

  /**
   * Load, decide, apply for each command (./handlers), in the transaction
   * `tx` whose time is `now`. A refused command has written nothing, so the
   * others of the transaction stand. Every outcome, refusals too, is stored
   * with them, so a redelivery answers the same even if the world changed since.
   */
  private async applyInTransaction(tx: Tx, now: string, commands: Command[]): Promise<Map<string, Applied>> {
    const outcomes = new Map<string, Applied>();
    const processed = new Map<string, ProcessedCommand>();
    for (const command of commands) {
      const startedAt = performance.now();
      const decision = await handle(tx, command, now);
      const applySeconds = (performance.now() - startedAt) / 1000;
      const refused = decision instanceof UserError;
      const reply: Reply = refused
        ? errorReply(command.id, decision.code, decision.message, decision.details)
        : { v: RECORD_VERSION, commandId: command.id, ok: true, result: decision.result };
      const events = refused ? [] : decision.events.map(outgoing);
      const applied: Applied = { reply: JSON.stringify(reply), events, outcome: refused ? 'refused' : 'ok', applySeconds };
      outcomes.set(command.id, applied);
      processed.set(command.id, { reply: applied.reply, events: `[${events.map((e) => e.value).join(',')}]` });
    }
    await saveProcessed(tx, processed);
    // Deadlines again, right before COMMIT, by the same (process) clock as before the transaction: the
    // chunk may have waited on locks, or the process may have been frozen (SIGSTOP, a paused VM).
    // Whoever sent a command past its deadline was told UNKNOWN and may have retried: it must not take
    // effect now. This is also the fence against a resumed zombie: a frozen worker loses its partitions
    // only after its session timeout (10 s), longer than a command lives (COMMAND_TIMEOUT_MS, 5 s by
    // default), so what it still holds has expired and is rolled back here. (With a longer command
    // lifetime, a zombie's commit within the deadline is still harmless: the room lock orders it with
    // its successor's, and processed_commands' key makes one of the two a conflict, retried and reloaded.)
    // A freeze between this check and COMMIT leaves the session idle in its transaction, which the
    // server ends after idle_in_transaction_session_timeout (../store/orm.ts): nothing is committed then.
    const late = commands.filter((command) => Date.now() > command.deadline);
    if (late.length > 0) {
      this.log.warn('commands expired during their transaction; rolled back', { commandIds: late.map((c) => c.id) });
      throw new ExpiredBeforeCommit(late.map((c) => c.id));
    }
    return outcomes;
  }

  /**
   * Removes what no redelivery and no token check needs any more, a batch at
   * a time (short transactions, rows other workers are deleting skipped), at
   * most SWEEP_MAX_BATCHES batches per table per run. A failure waits for the next run.
   */
  async sweep(): Promise<{ processed: number; revoked: number; uploads: number }> {
    const swept = { processed: 0, revoked: 0, uploads: 0 };
    const keepMs = this.config.commandTimeoutMs + PROCESSED_MARGIN_MS;
    try {
      for (let i = 0, n = SWEEP_BATCH; i < SWEEP_MAX_BATCHES && n === SWEEP_BATCH; i++) {
        swept.processed += n = await sweepProcessed(this.orm, keepMs, SWEEP_BATCH);
      }
      for (let i = 0, n = SWEEP_BATCH; i < SWEEP_MAX_BATCHES && n === SWEEP_BATCH; i++) {
        swept.revoked += n = await sweepRevokedTokens(this.orm, SWEEP_BATCH);
      }
      // Uploads never sent, a day old, with their bytes (fewer a batch: each holds up to a file's chunks).
      for (let i = 0, n = UPLOAD_SWEEP_BATCH; i < SWEEP_MAX_BATCHES && n === UPLOAD_SWEEP_BATCH; i++) {
        swept.uploads += n = await sweepUnsentUploads(this.orm, UNSENT_UPLOAD_KEEP_SECONDS, UPLOAD_SWEEP_BATCH);
      }
    } catch (err) {
      this.log.warn('sweep failed; trying again later', errorFields(err));
    }
    if (swept.processed + swept.revoked + swept.uploads > 0) this.log.debug('swept', swept);
    return swept;
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

function errorReply(commandId: string, code: string, message: string, details?: Record<string, unknown>): Reply {
  const error = details && Object.keys(details).length > 0 ? { code, message, details } : { code, message };
  return { v: RECORD_VERSION, commandId, ok: false, error };
}

/** The partition a gateway asked its reply on; null for none or one that is not a partition number (keyed by reply-to then). */
export function replyPartition(header: HeaderValue | undefined): number | null {
  if (header === undefined) return null;
  const text = String(header);
  return /^\d{1,5}$/.test(text) ? Number(text) : null;
}
