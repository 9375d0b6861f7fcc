import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type ProducerConfig } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';

export function createKafka(config: Pick<Config, 'kafkaBrokers'>, clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 3000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...fields } = entry;
        (level <= logLevel.ERROR ? log.error : log.warn)(`kafkajs: ${message}`, fields);
      },
  });
}

/**
 * Every producer of the service: topics are only ever created by ensureTopics,
 * and keys map to partitions as in the Java client (murmur2), so other tools agree.
 */
export const PRODUCER_CONFIG: ProducerConfig = {
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
};

/**
 * Creates a brand-new consumer group positioned at the current end of `topic`,
 * so a process that reads only what happens from now on misses nothing between
 * joining and its first fetch (a fresh group otherwise resolves "latest" late).
 */
export async function createGroupAtEnd(admin: Admin, groupId: string, topic: string): Promise<void> {
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({
    groupId,
    topic,
    partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })),
  });
}

/** Removes a per-process consumer group after its consumer has left, so groups do not pile up. */
export async function deleteGroupQuietly(admin: Admin, groupId: string, log: Logger): Promise<void> {
  try {
    await admin.deleteGroups([groupId]);
  } catch (err) {
    log.warn('could not delete consumer group', { groupId, err: (err as Error).message });
  }
}
