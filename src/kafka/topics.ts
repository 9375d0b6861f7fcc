import type { Admin } from 'kafkajs';
import type { Config } from '../config';

const LEADERS_TIMEOUT_MS = 30_000;
/** A reply is of no use after its command's wait (seconds): an hour of them is plenty for debugging. */
const REPLY_RETENTION_MS = 3_600_000;

type TopicsConfig = Pick<Config, 'topics' | 'partitions' | 'eventPartitions' | 'replyPartitions' | 'replicationFactor' | 'minInsyncReplicas'>;

/**
 * Partitions of each topic when created. Commands: the most workers that
 * share the work. Events and replies: as many as keep what each gateway
 * fetches for others small (a gateway reads one partition of replies and the
 * event partitions of its rooms; see docs/scaling.md).
 */
export function partitionsOf(topic: string, config: TopicsConfig): number {
  if (topic === config.topics.messages) return config.eventPartitions;
  if (topic === config.topics.replies) return config.replyPartitions;
  return config.partitions;
}

/** Creates the service's topics when missing, with partition counts and replication from config. */
export async function ensureTopics(admin: Admin, config: TopicsConfig): Promise<void> {
  const topics = Object.values(config.topics);
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    // Not `waitForLeaders`: kafkajs gives up on the UNKNOWN_TOPIC_OR_PARTITION that
    // brokers of a fresh cluster answer for a moment; wait for leaders below instead.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: partitionsOf(topic, config),
        replicationFactor: config.replicationFactor,
        configEntries: [
          { name: 'min.insync.replicas', value: String(config.minInsyncReplicas) },
          ...(topic === config.topics.replies ? [{ name: 'retention.ms', value: String(REPLY_RETENTION_MS) }] : []),
        ],
      })),
    });
  }
  await waitForLeaders(admin, topics);
}

/** Waits until every partition has a leader that answers: metadata can name a leader a moment before it serves. */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    const metadata = await admin.fetchTopicMetadata({ topics }).catch(() => null);
    const named = metadata?.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    const ready =
      named &&
      (await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic))).then(
        () => true,
        () => false,
      ));
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after ${LEADERS_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
