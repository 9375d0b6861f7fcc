import type { Consumer } from 'kafkajs';
import type { Logger } from '../log';

/** How often processed offsets are committed: also the most a consumer's successor reads again after a crash. */
export const COMMIT_INTERVAL_MS = 1000;

/**
 * Commits a consumer's processed offsets on a timer. kafkajs 2.2.4 with
 * autoCommit on commits after every partition's batch (its
 * autoCommitInterval does not change that), and those OffsetCommits made the
 * broker the largest CPU cost of a chat in the benchmark. So consumers run
 * with `autoCommit: false`, report what they processed here, and the newest
 * offset of each partition is committed once per interval.
 *
 * Reading up to an interval again after a crash or a rebalance is safe: the
 * worker applies a command once (processed_commands) and re-emits the same
 * events, and live streams drop seqs they already sent.
 */
export class PeriodicCommits {
  /** `topic:partition` → the last offset processed there (the commit names the one after it). */
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly consumer: Consumer,
    private readonly log: Logger,
    private readonly intervalMs = COMMIT_INTERVAL_MS,
  ) {}

  /** The record at `offset` of this partition was processed. */
  processed(topic: string, partition: number, offset: string): void {
    this.pending.set(`${topic}:${partition}`, { topic, partition, offset });
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Commits what was processed since the last commit; must run while the consumer is still in its group. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    // Kafka's committed offset is the next one to read. Computed here, once per partition, not per record.
    const offsets = [...this.pending.values()].map((p) => ({ ...p, offset: (BigInt(p.offset) + 1n).toString() }));
    this.pending.clear();
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (err) {
      // During a rebalance, say. Nothing is lost: whoever reads these partitions next starts from the last commit.
      this.log.warn('could not commit consumer offsets; they will be read again', { err: (err as Error).message });
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
