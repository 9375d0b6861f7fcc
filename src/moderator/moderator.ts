import type { MikroORM } from '@mikro-orm/postgresql';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config';
import { commandKey, type CommandEnvelope, type CommandPayloads, type CommandType } from '../contracts/commands';
import { RECORD_VERSION, parseChatEvent } from '../contracts/records';
import { derivedUuid } from '../commands/moderation';
import { CONSUMER_DEFAULTS, PRODUCER_CONFIG } from '../kafka/client';
import { PeriodicCommits } from '../kafka/commits';
import { errorFields, type Logger } from '../log';
import { Metrics } from '../observe/metrics';
import { mutesOver, reportedUsers } from '../store/moderation';
import { StreamRules, type Firing } from './rules';

/** How often the store is asked for reported users and for mutes that are over. */
const POLL_MS = 1000;
/** A command sent for a poll's finding is not sent again for this long (the worker applies it once anyway). */
const RESEND_AFTER_MS = 10_000;
/** A moderator's command waits this long for a worker that is down, then the worker drops it (the poll sends it again). */
const COMMAND_LIFETIME_MS = 3600_000;
/** Beyond the longest window: records this much older than the newest seen are committed (see Moderator). */
const COMMIT_MARGIN_MS = 5000;
const PRUNE_EVERY_MS = 10_000;

/**
 * The moderator: a consumer group of its own on the events topic (never the
 * worker's or a gateway's), so it falls behind and catches up without
 * touching chat, and it changes nothing itself: a rule that fires becomes a
 * MuteUser command on chat.commands, applied by the worker like any other.
 *
 * Acting once: a firing's decision id is derived from its evidence, and the
 * worker keeps each decision once and ignores a firing whose evidence is no
 * newer than the user's latest mute. Offsets are committed only for records
 * older than the longest rule window (by the newest record's time), so a
 * moderator that crashed reads that window again on restart and rebuilds
 * its counts: a flood cut in two by a kill -9 is still seen whole.
 * Reports and the ends of mutes are found by polling the store.
 */
export class Moderator {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly commits: PeriodicCommits;
  private readonly rules: StreamRules;
  private readonly groupId: string;
  /** Per partition, the records processed and not yet committed: offset and time, oldest first. */
  private readonly uncommitted = new Map<number, { offset: string; at: number }[]>();
  private newest = 0;
  private readonly lookbackMs: number;
  private poller: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private pruner: NodeJS.Timeout | null = null;
  private readonly sent = new Map<string, number>();

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly orm: MikroORM,
    private readonly config: Pick<Config, 'topics' | 'moderation'>,
    private readonly log: Logger,
    private readonly metrics = new Metrics(),
  ) {
    this.groupId = `${config.topics.messages}.moderator`;
    // As the worker's: a crashed moderator's partitions are taken over once its session expires, so keep that short.
    this.consumer = kafka.consumer({ ...CONSUMER_DEFAULTS, groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    this.producer = kafka.producer(PRODUCER_CONFIG);
    this.commits = new PeriodicCommits(this.consumer, log);
    this.rules = new StreamRules(config.moderation);
    const { flood, repetition } = config.moderation;
    this.lookbackMs = Math.max(flood.windowSeconds, repetition.windowSeconds) * 1000 + COMMIT_MARGIN_MS;
    metrics.watchConsumer('moderator', this.consumer);
    // A new assignment: what was tracked for partitions now someone else's must not be committed.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.uncommitted.clear());
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.startNewGroupAtEnd();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.topics.messages });
    this.commits.start();
    await this.consumer.run({
      autoCommit: false, // this.commitOld() instead
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        for (const record of batch.messages) {
          if (!isRunning() || isStale()) break;
          await this.observe(record.value, record.offset);
          let seen = this.uncommitted.get(batch.partition);
          if (!seen) this.uncommitted.set(batch.partition, (seen = []));
          const at = Number(record.timestamp);
          seen.push({ offset: record.offset, at });
          this.newest = Math.max(this.newest, at);
        }
        this.commitOld(batch.topic);
        await heartbeat();
      },
    });
    this.poller = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = null));
    }, POLL_MS);
    this.poller.unref();
    this.pruner = setInterval(() => this.rules.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    if (this.pruner) clearInterval(this.pruner);
    await this.polling;
    await this.commits.flush();
    await this.consumer.disconnect();
    this.commits.stop();
    await this.producer.disconnect();
  }

  /**
   * A group that never committed starts at the end of the topic as it is now:
   * old history is not judged again, and nothing sent after the start is missed
   * (a new group would otherwise resolve "latest" only at its first fetch).
   */
  private async startNewGroupAtEnd(): Promise<void> {
    const topic = this.config.topics.messages;
    const [committed] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    if (committed && committed.partitions.some((p) => p.offset !== '-1')) return;
    const ends = await this.admin.fetchTopicOffsets(topic);
    try {
      await this.admin.setOffsets({ groupId: this.groupId, topic, partitions: ends.map(({ partition, high }) => ({ partition, offset: high })) });
    } catch (err) {
      // Another moderator started the group at the same moment: it is set either way.
      this.log.warn('could not set the new moderator group at the end of the topic', errorFields(err));
    }
  }

  private async observe(value: Buffer | null, offset: string): Promise<void> {
    let event;
    try {
      event = parseChatEvent(value);
    } catch (err) {
      this.log.warn('ignoring unreadable record on the events topic', { offset, ...errorFields(err) });
      return;
    }
    if (event?.type !== 'message') return;
    for (const firing of this.rules.observe(event.message)) await this.mute(firing);
  }

  private async mute({ decisionId, userId, rule, evidence, evidenceAt }: Firing): Promise<void> {
    this.log.info('rule fired', { rule, userId, decisionId });
    this.metrics.moderationFired(rule);
    await this.send('MuteUser', decisionId, { decisionId, userId, rule, evidence, evidenceAt, muteSeconds: this.config.moderation.muteSeconds });
  }

  private async send<T extends 'MuteUser' | 'EndMute'>(type: T, id: string, payload: CommandPayloads[T]): Promise<void> {
    const command = { v: RECORD_VERSION, id, type, actorId: null, deadline: Date.now() + COMMAND_LIFETIME_MS, payload } as CommandEnvelope<T>;
    // No reply-to header: nobody waits for the reply.
    await this.producer.send({
      topic: this.config.topics.commands,
      messages: [{ key: commandKey<CommandType>(type, null as never, payload), value: JSON.stringify(command) }],
    });
  }

  /** Commits, per partition, up to the newest record older than the longest window (by the newest record's time). */
  private commitOld(topic: string): void {
    const before = this.newest - this.lookbackMs;
    for (const [partition, seen] of this.uncommitted) {
      let i = 0;
      while (i < seen.length && seen[i].at < before) i++;
      if (i === 0) continue;
      this.commits.processed(topic, partition, seen[i - 1].offset);
      seen.splice(0, i);
    }
  }

  /** Reported users, and mutes that are over; a failing store is logged and asked again at the next poll. */
  private async poll(): Promise<void> {
    const now = Date.now();
    for (const [id, at] of this.sent) if (now - at > RESEND_AFTER_MS) this.sent.delete(id);
    try {
      const { moderation } = this.config;
      if (moderation.rules.has('reports')) {
        for (const { userId, reports, lastAt } of await reportedUsers(this.orm, moderation.reports.threshold, moderation.reports.windowSeconds)) {
          const keys = reports.map((r) => `${r.messageId}:${r.reporterId}`).sort();
          const decisionId = derivedUuid('mute', 'reports', userId, ...keys);
          if (this.sent.has(decisionId)) continue;
          this.sent.set(decisionId, now);
          const reporters = new Set(reports.map((r) => r.reporterId)).size;
          await this.mute({ decisionId, userId, rule: 'reports', evidence: { reports, reporters }, evidenceAt: lastAt });
        }
      }
      for (const { decisionId, userId } of await mutesOver(this.orm, 100)) {
        const id = `end-${decisionId}`;
        if (this.sent.has(id)) continue;
        this.sent.set(id, now);
        await this.send('EndMute', id, { decisionId, userId });
      }
    } catch (err) {
      this.log.warn('moderator poll failed; trying again', errorFields(err));
    }
  }
}
