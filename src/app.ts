import type { MikroORM } from '@mikro-orm/postgresql';
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from './config';
import { Gateway } from './gateway/server';
import { createKafka } from './kafka/client';
import { ensureTopics } from './kafka/topics';
import type { Logger } from './log';
import { Metrics } from './observe/metrics';
import { Probes, serveProbes, type ProbeServer } from './observe/probes';
import { openStore } from './store/orm';
import { Worker } from './worker/worker';
import { Moderator } from './moderator/moderator';

export type Role = 'gateway' | 'worker' | 'moderator';

export interface App {
  kafka: Kafka;
  admin: Admin;
  orm: MikroORM;
  gateway: Gateway | null;
  worker: Worker | null;
  moderator: Moderator | null;
  /** This app's metrics, of every role it runs. */
  metrics: Metrics;
  /** /metrics, /healthz and /readyz on METRICS_PORT when that is set, whatever the roles. */
  probes: ProbeServer | null;
  stop(): Promise<void>;
}

/** Connects to Kafka and PostgreSQL, prepares topics and schema, then starts the given roles. */
export async function startApp(config: Config, roles: readonly Role[], log: Logger): Promise<App> {
  const kafka = createKafka(config, `chat-${config.instanceId}`, log);
  const admin = kafka.admin();
  await admin.connect();
  let orm: MikroORM | null = null;
  let gateway: Gateway | null = null;
  let worker: Worker | null = null;
  let moderator: Moderator | null = null;
  let probes: ProbeServer | null = null;
  const metrics = new Metrics();
  const stop = async () => {
    await probes?.stop();
    // The gateway first: it stops taking requests while the worker finishes what is queued.
    await gateway?.stop();
    await moderator?.stop();
    await worker?.stop();
    await orm?.close();
    await admin.disconnect();
  };
  try {
    await ensureTopics(admin, config);
    orm = await openStore(config.databaseUrl);
    // Serving before the consumers join: /readyz says they are not joined yet.
    if (config.metricsPort !== null) probes = await serveProbes(config.metricsPort, new Probes(orm, admin, metrics), log);
    if (roles.includes('worker')) {
      worker = new Worker(kafka, orm, config, log, metrics);
      await worker.start();
    }
    if (roles.includes('moderator')) {
      moderator = new Moderator(kafka, admin, orm, config, log, metrics);
      await moderator.start();
    }
    if (roles.includes('gateway')) {
      gateway = new Gateway(kafka, admin, orm, config, log, metrics);
      await gateway.start();
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { kafka, admin, orm, gateway, worker, moderator, metrics, probes, stop };
}
