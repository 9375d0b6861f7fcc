import 'reflect-metadata';
import { startApp, type App, type Role } from './app';
import { startTracing, stopTracing } from './observe/tracing';
import { ConfigError, loadConfig } from './config';
import { ensureLocalKafka, type KafkaCluster } from './dev/kafka';
import { ensurePostgres, type Database } from './dev/postgres';
import { createLogger, errorFields } from './log';

const ROLES: Record<string, Role[]> = {
  gateway: ['gateway'],
  worker: ['worker'],
  moderator: ['moderator'],
  all: ['gateway', 'worker', 'moderator'],
};
const USAGE = 'usage: node dist/src/main.js gateway|worker|moderator|all|dev';

/**
 * How long a stop may take: the gateway's drain, the worker's chunk in hand, leaving
 * the consumer groups. Past it the process exits anyway (what `dev` started is stopped
 * first): an orchestrator's grace period is often 30 s, and a stuck process is worse
 * than a chunk redelivered.
 */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** At info until the configuration is read; then at LOG_LEVEL. */
let log = createLogger('main');

/**
 * `dev` is `all` plus local infrastructure: a Kafka broker and PostgreSQL are
 * found or started for the developer, and stopped again on Ctrl-C.
 */
async function main(mode: string): Promise<void> {
  const roles = mode === 'dev' ? ROLES.all : ROLES[mode];
  if (!roles) {
    console.error(USAGE);
    process.exit(2);
  }
  const started: { stop(): Promise<void> }[] = [];
  let app: App | null = null;
  const stopAll = async () => {
    await app?.stop();
    await stopTracing();
    for (const service of started.reverse()) await service.stop();
  };
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal, timeoutMs: SHUTDOWN_TIMEOUT_MS });
    const overdue = setTimeout(() => {
      log.error('shutdown took too long; exiting anyway', { timeoutMs: SHUTDOWN_TIMEOUT_MS });
      // The app is abandoned, but a Kafka broker or database that `dev` started must not outlive it.
      void Promise.all(started.map((service) => service.stop().catch(() => undefined))).finally(() => process.exit(1));
    }, SHUTDOWN_TIMEOUT_MS);
    try {
      await stopAll();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error('shutdown failed', errorFields(err));
      process.exit(1);
    } finally {
      clearTimeout(overdue);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    if (mode === 'dev') {
      const progress = (line: string) => console.log(`[dev] ${line}`);
      if (!process.env.KAFKA_BROKERS) {
        const kafka: KafkaCluster = await ensureLocalKafka(progress);
        started.push(kafka);
        process.env.KAFKA_BROKERS = kafka.brokers.join(',');
      }
      const db: Database = await ensurePostgres({ databaseUrl: process.env.DATABASE_URL, defaultDb: 'chat', log: progress });
      started.push(db);
      process.env.DATABASE_URL = db.url;
    }
    const config = loadConfig();
    log = createLogger('main', undefined, { level: config.logLevel });
    // Before the app, so its spans have a provider (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set).
    if (startTracing(`kafka-chat-${mode}`)) log.info('tracing exported over OTLP');
    app = await startApp(config, roles, log);
    if (app.gateway) {
      console.log(`GraphQL (HTTP and graphql-ws) and Apollo Sandbox: http://localhost:${config.port}/graphql`);
    }
    log.info('started', { roles, instanceId: config.instanceId });
  } catch (err) {
    // Whatever this process started for the developer does not outlive a failed start.
    await stopAll().catch(() => undefined);
    throw err;
  }
}

main(process.argv[2] ?? 'all').catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else log.error('could not start', errorFields(err, { stack: true }));
  process.exit(1);
});
