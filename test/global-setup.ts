import 'reflect-metadata';
import { startKafka, type KafkaCluster } from '../src/dev/kafka';
import { ensurePostgres } from '../src/dev/postgres';

/**
 * Starts the real services the suite talks to, through the same code `npm run
 * dev` uses: a Kafka broker of its own (unless KAFKA_BROKERS names one) and a
 * fresh database for this run. Test files inherit them through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const progress = (line: string) => process.stderr.write(`[test setup] ${line}\n`);
  if (!process.env.KAFKA_BROKERS) {
    const kafka: KafkaCluster = await startKafka({ port: 0, log: progress });
    (globalThis as Record<string, unknown>).__kafka = kafka;
    process.env.KAFKA_BROKERS = kafka.brokers.join(',');
  }
  const base = process.env.DATABASE_URL;
  const db = await ensurePostgres({
    databaseUrl: base ? base.replace(/\/[^/?]+(\?|$)/, `/chat_test_${process.pid}$1`) : undefined,
    defaultDb: `chat_test_${process.pid}`,
    log: progress,
  });
  (globalThis as Record<string, unknown>).__db = db;
  process.env.DATABASE_URL = db.url;
  process.env.LOG_QUIET = '1';
}
