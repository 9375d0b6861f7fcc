import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type ConsumerRunConfig,
  type LogEntry,
  type ProducerConfig,
} from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';

/**
 * A broker that hangs (a long GC pause, a stalled VM, SIGSTOP) keeps its
 * connections open and answers nothing. kafkajs then waits `requestTimeout`
 * per request (30 s by default) and retries the same broker until its
 * metadata is refreshed, which it does after a lost connection but not after
 * a timeout, otherwise only every `metadataMaxAge` (5 min by default). So
 * requests time out after 5 s, and metadata is never older than
 * METADATA_MAX_AGE_MS: once the cluster has moved leadership away from the
 * hung broker, a retry finds the new leader within a few seconds. Requests
 * that wait on purpose (a fetch's maxWaitTime, a group join's session) get
 * their own, longer bound from kafkajs.
 */
export const KAFKA_REQUEST_TIMEOUT_MS = 5_000;
export const METADATA_MAX_AGE_MS = 2_000;

export function createKafka(config: Pick<Config, 'kafkaBrokers'>, clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    connectionTimeout: 3000,
    requestTimeout: KAFKA_REQUEST_TIMEOUT_MS,
    enforceRequestTimeout: true,
    // Nine tries at most, backing off up to 3 s (some 12 s of waits in all), each try bounded by the request timeout.
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 3000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        // kafkajs calls many retried, transient conditions errors (a coordinator not yet elected, say);
        // failures that matter reach our code as thrown errors and are logged as errors there.
        // Its own timestamp and logger name would repeat the line's time and message prefix.
        const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
        log.warn(`kafkajs: ${message}`, { kafkajsLevel: logLevel[level], ...fields });
      },
  });
}

/**
 * Every producer of the service: topics are only ever created by ensureTopics,
 * and keys map to partitions as in the Java client (murmur2), so other tools agree.
 */
export const PRODUCER_CONFIG: ProducerConfig = {
  allowAutoTopicCreation: false,
  metadataMaxAge: METADATA_MAX_AGE_MS,
  createPartitioner: Partitioners.DefaultPartitioner,
};

/**
 * Consumer defaults. A fetch waits at most a second for data (it returns at
 * once when there is some), because leaving a group waits for the fetch in
 * flight: shutdown takes about a second instead of five. Metadata as for
 * producers (see KAFKA_REQUEST_TIMEOUT_MS). A member that stops heartbeating
 * (crashed, frozen) leaves its group after 10 s rather than kafkajs' 30 s;
 * one that was frozen longer joins again when it resumes.
 */
export const CONSUMER_DEFAULTS = {
  allowAutoTopicCreation: false,
  maxWaitTimeInMs: 1000,
  metadataMaxAge: METADATA_MAX_AGE_MS,
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
} as const;

/**
 * Runs a consumer of a brand-new group from the end of `topic` as it is now.
 * A new group resolves "latest" only at its first fetch, a moment after
 * joining; seeking to the ends read before joining closes that window.
 */
export async function runFromNow(admin: Admin, consumer: Consumer, topic: string, config: ConsumerRunConfig): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  await consumer.run(config);
  for (const { partition, high } of ends) consumer.seek({ topic, partition, offset: high });
}

/** Removes a per-process consumer group after its consumer has left, so groups do not pile up. */
export async function deleteGroupQuietly(admin: Admin, groupId: string, log: Logger): Promise<void> {
  try {
    await admin.deleteGroups([groupId]);
  } catch (err) {
    log.warn('could not delete consumer group', { groupId, err: (err as Error).message });
  }
}

const keyPartitioner = Partitioners.DefaultPartitioner();
const partitionLists = new Map<number, { partitionId: number; leader: number }[]>();

/**
 * The partition our producers put a record of `key` on, in a topic of
 * `partitions` partitions (PRODUCER_CONFIG's partitioner, murmur2): a reader
 * can tell where a room's or a user's events are without asking anyone.
 */
export function partitionOfKey(key: string, partitions: number): number {
  let metadata = partitionLists.get(partitions);
  if (!metadata) partitionLists.set(partitions, (metadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0 }))));
  return keyPartitioner({ topic: '', partitionMetadata: metadata as never, message: { key, value: null } });
}

/** The partitions of `topic` other than `keep`: what a consumer pauses to read only `keep`. */
export function allPartitionsBut(partitions: number, keep: ReadonlySet<number>): number[] {
  return Array.from({ length: partitions }, (_, p) => p).filter((p) => !keep.has(p));
}
