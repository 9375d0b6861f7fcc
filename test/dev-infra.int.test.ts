/**
 * The dev infrastructure itself: a real single-node Kafka from startKafka()
 * carries a message end to end, and ensureDatabase() creates a database on
 * the local PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { startKafka, type KafkaCluster } from '../src/dev/kafka';
import { dropDatabase, ensureDatabase } from '../src/dev/postgres';
import { waitFor } from './support';

// The first run fetches Kafka from Maven Central.
jest.setTimeout(180_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** pids of broker JVMs whose server.properties listens on this port */
function brokerPids(port: number): number[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((line) => /^\s*(\d+) .*kafka\.Kafka (\S+server\.properties)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => {
      try {
        return readFileSync(m[2], 'utf8').includes(`PLAINTEXT://127.0.0.1:${port},`);
      } catch {
        return false; // another cluster just stopped
      }
    })
    .map((m) => Number(m[1]));
}

describe('startKafka (single node, free ports)', () => {
  let cluster: KafkaCluster | undefined;

  afterAll(async () => {
    await cluster?.stop();
  });

  it('produces and consumes a message, and stop() ends the broker', async () => {
    cluster = await startKafka({ port: 0, log: (line) => console.log(line) });
    expect(cluster.brokers).toHaveLength(1);
    const port = Number(cluster.brokers[0].split(':')[1]);
    expect(port).toBeGreaterThan(0);
    const ours = brokerPids(port);
    expect(ours).toHaveLength(1);

    const kafka = new Kafka({ clientId: 'dev-infra-test', brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    const topic = `dev-infra-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    // Not waitForLeaders: kafkajs gives up on KRaft's transient UNKNOWN_TOPIC_OR_PARTITION; poll instead.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    await waitFor('a leader for the new topic', async () => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      return md?.topics[0]?.partitions.every((p) => p.leader >= 0);
    });
    await admin.disconnect();

    const received: string[] = [];
    const consumer = kafka.consumer({ groupId: `dev-infra-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value?.toString() ?? '');
      },
    });

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'hello kafka' }] });
    await producer.disconnect();

    await waitFor('the message to be consumed', () => received.length > 0);
    expect(received).toEqual(['hello kafka']);
    await consumer.disconnect();

    await cluster.stop();
    cluster = undefined;
    for (const pid of ours) expect(isAlive(pid)).toBe(false);
  });
});

describe('ensureDatabase', () => {
  it('creates a missing database on the server of DATABASE_URL and is idempotent', async () => {
    const server = process.env.DATABASE_URL!;
    const name = `dev_infra_${randomUUID().replace(/-/g, '')}`;
    const url = await ensureDatabase(server, name);
    try {
      expect(new URL(url).pathname).toBe(`/${name}`);
      expect(await ensureDatabase(server, name)).toBe(url); // already there: no error

      const db = new Client({ connectionString: url });
      await db.connect();
      const { rows } = await db.query<{ db: string }>('SELECT current_database() AS db');
      await db.end();
      expect(rows[0].db).toBe(name);
    } finally {
      await dropDatabase(url);
    }
  });
});
