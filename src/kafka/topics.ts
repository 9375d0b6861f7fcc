import type { Admin } from 'kafkajs';
import type { Config } from '../config';

/** Creates the service's topics when missing, with partition counts and replication from config. */
export async function ensureTopics(
  admin: Admin,
  config: Pick<Config, 'topics' | 'partitions' | 'replicationFactor' | 'minInsyncReplicas'>,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = Object.values(config.topics).filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: config.partitions,
      replicationFactor: config.replicationFactor,
      configEntries: [{ name: 'min.insync.replicas', value: String(config.minInsyncReplicas) }],
    })),
  });
}
