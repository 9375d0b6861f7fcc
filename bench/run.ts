import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { Client } from 'pg';
import 'reflect-metadata';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import { startKafka } from '../src/dev/kafka';
import { dropDatabase, ensureDatabase, ensurePostgres } from '../src/dev/postgres';
import { startProcess, type ServiceProcess } from '../src/dev/processes';
import { createLogger } from '../src/log';
import { cpuSpent, kafkaBrokerPids, postgresBackends, readCpu, redisPids, type CpuGroups } from './cpu';
import { runScript } from './child';
import { gql, signUp } from './graphql-client';
import { TraceCollector } from './trace-collector';
import type { Job, StepPlan } from './load';
import { startMemoryServer } from './memory-server';
import { SCALE_PLAN, SCALE_PLAN_QUICK, renderScale, scaleStep, type ScaleResult } from './scale';
import { cpuTotal, percentiles, renderMarkdown, writeReport, type BenchResults, type Step } from './report';
import { describeUploadBench, uploadBench } from './uploads';
import { lifecycleTargets, reactionTarget, reactionThroughput, searchReads } from './message-lifecycle';
import { moderationBench } from './moderation';
import { liveBench } from './live';

/**
 * `npm run bench`: starts a Kafka broker, a fresh PostgreSQL database, the
 * worker and the gateway as real processes, and the in-memory GraphQL ceiling;
 * drives each with the same load generator (its own process), then measures
 * idle subscriptions and history reads, and writes bench/results/ and
 * BENCHMARKS.md. `npm run bench -- --quick` is a short run with smaller load
 * that only prints its figures.
 */

const QUICK = process.argv.includes('--quick');
/**
 * `npm run bench -- --only <step> [--quick]`: one step alone, printing its
 * targets (BENCHMARKS.md is left as it is): scale (bench/scale.ts), live
 * (bench/live.ts), reactions (addReaction beside sendChat) or uploads
 * (bench/uploads.ts), each on a worker and a gateway of its own.
 */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const ONLY_STEPS = ['scale', 'live', 'reactions', 'uploads'];
if (ONLY !== null && !ONLY_STEPS.includes(ONLY)) throw new Error(`--only takes one of ${ONLY_STEPS.join(', ')}`);
const LOAD = QUICK
  ? { rooms: 20, subscribers: 200, senders: 20, rates: [100, 150], stepSeconds: 5, warmSeconds: 2, idle: 1_000, history: 100_000 }
  : { rooms: 100, subscribers: 1_000, senders: 50, rates: [100, 150, 250, 500, 1_000], stepSeconds: 10, warmSeconds: 3, idle: 10_000, history: 1_000_000 };
/** The files bench/uploads.ts moves and the sendChat it times; its defaults in a full run. */
const UPLOAD_LOAD = QUICK ? { files: 5, pings: 50 } : undefined;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** --trace: the service exports its spans (OTLP) to a collector here, and each service step gets a per-hop breakdown. */
const TRACE = process.argv.includes('--trace');
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0';
const ROOT = path.join(__dirname, '..', '..');
const LOAD_SCRIPT = path.join(__dirname, 'load.js');

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const steps: StepPlan[] = [
  ...LOAD.rates.map((ratePerSec) => ({ mode: 'open' as const, ratePerSec, seconds: LOAD.stepSeconds })),
  { mode: 'closed', seconds: LOAD.stepSeconds },
  { mode: 'sequential', seconds: LOAD.stepSeconds },
];

/** Runs the load generator as its own process; `onLine` sees each stdout line (the result is the last). */
const runLoad = (job: Job, onLine?: (line: string, child: ChildProcess) => void) => runScript(LOAD_SCRIPT, job, onLine);

/** A chat target: where its GraphQL server listens and which processes serve it (for CPU per chat). */
interface ChatTarget {
  target: 'service' | 'memory' | 'peer';
  url: string;
  cpu: CpuGroups;
  /** Where its spans are collected (--trace, the service only). */
  traces?: TraceCollector;
}

/** Starts one target's interactive load generator; resolves once its subscriptions are live. */
async function startDriver(t: ChatTarget) {
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  let onLine: (said: any) => void = () => undefined;
  let child: ChildProcess | undefined;
  const finished = runLoad(
    { kind: 'chat', target: t.target, url: t.url, rooms: LOAD.rooms, subscribers: LOAD.subscribers, senders: LOAD.senders, steps, interactive: true, warmSeconds: LOAD.warmSeconds },
    (line, c) => {
      child = c;
      const said = JSON.parse(line);
      if (said.ready) ready();
      else onLine(said);
    },
  );
  /** Runs step `index`; CPU is read when its measured part starts and when it is done. */
  const step = (index: number) =>
    new Promise<Step>((resolve) => {
      let before = readCpu(t.cpu);
      let measuringSince = Date.now();
      onLine = (said) => {
        if (said.measuring === index) {
          before = readCpu(t.cpu);
          measuringSince = Date.now();
        }
        if (said.done === index) {
          const spent = cpuSpent(t.cpu, before);
          const chats = Math.max(1, Math.round(said.step.sentPerSec * said.step.seconds));
          const cpuMsPerChat = Object.fromEntries(Object.entries(spent).map(([name, ms]) => [name, ms / chats]));
          const measured: Step = { ...said.step, cpuMsPerChat, loadAverage: os.loadavg()[0] };
          if (!t.traces) return resolve(measured);
          // The spans of the step's last chats are exported within a second or two (batched).
          setTimeout(() => resolve({ ...measured, hopsMs: t.traces!.hops(measuringSince, Date.now()) }), 2_500);
        }
      };
      child!.stdin!.write(`${JSON.stringify({ step: index })}\n`);
    });
  const quit = async () => {
    child?.stdin!.write(`${JSON.stringify({ quit: true })}\n`);
    await finished;
  };
  await Promise.race([isReady, finished.then(() => Promise.reject(new Error(`${t.target} load generator ended early`)))]);
  return { t, step, quit };
}

/**
 * One interactive load generator per target (each builds its world and
 * opens its subscriptions once), then every step runs on each target in
 * turn, so the targets see the same machine load; CPU is read around the
 * measured part of each step.
 */
async function interleavedChatSteps(targets: ChatTarget[]): Promise<Step[]> {
  const drivers = [];
  // One at a time: building three worlds at once on two loaded cores made the service's first commands time out.
  for (const t of targets) drivers.push(await startDriver(t));
  const out: Step[] = [];
  for (const [index] of steps.entries()) {
    for (const d of drivers) {
      const step = await d.step(index);
      progress(`${d.t.target} ${step.mode}${step.offeredPerSec ? ` ${step.offeredPerSec}/s` : ''}: sendChat ${Math.round(step.sentPerSec)}/s, ` +
        `delivery p50 ${step.deliveryMs.p50} p99 ${step.deliveryMs.p99} ms, CPU ${JSON.stringify(step.cpuMsPerChat, (_k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v))}, load ${step.loadAverage?.toFixed(1)}`);
      if (step.hopsMs) progress(`  hops (p50 / p99 ms): ${Object.entries(step.hopsMs).map(([hop, p]) => `${hop} ${p.p50} / ${p.p99}`).join('; ')}`);
      out.push(step);
    }
  }
  await Promise.all(drivers.map((d) => d.quit()));
  return out;
}

/** The conventional peer as its own process (bench/peer-server.ts), or null when Redis does not answer. */
async function startPeer(databaseUrl: string): Promise<{ url: string; pid: number; stop(): Promise<void> } | null> {
  const redis = new Redis(REDIS_URL, { connectTimeout: 1_000, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    progress(`peer skipped: Redis at ${REDIS_URL} does not answer (${(err as Error).message})`);
    return null;
  } finally {
    redis.disconnect();
  }
  const peerDb = await ensureDatabase(databaseUrl, `${new URL(databaseUrl).pathname.slice(1)}_peer`);
  const child = spawn(process.execPath, [path.join(__dirname, 'peer-server.js')], {
    env: { ...process.env, PEER_DATABASE_URL: peerDb, REDIS_URL, JWT_SECRET, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString().split('\n')[0]) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`peer server exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await dropDatabase(peerDb).catch(() => undefined);
    },
  };
}

/** This process's memory after full garbage collections, so garbage awaiting collection is not counted. */
function memoryAfterGc(): { heapMB: number; rssMB: number } {
  for (let i = 0; i < 4; i++) global.gc!();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMB: heapUsed / 2 ** 20, rssMB: rss / 2 ** 20 };
}

/**
 * Memory of a gateway of its own, before and after it holds LOAD.idle idle
 * subscriptions. The gateway runs in this process (the load generator does
 * not) so that it can be measured after a forced GC: measured without one,
 * RSS per subscription swung between about 44 and 57 KB from run to run with
 * where the collector happened to stand.
 */
async function idleSubscriptions(env: Record<string, string>): Promise<BenchResults['idleSubscriptions']> {
  const app = await startApp(loadConfig({ ...env, PORT: '0' }), ['gateway'], createLogger('bench-idle', true));
  try {
    let before = memoryAfterGc();
    let after = before;
    let count = 0;
    await runLoad({ kind: 'idle', url: app.gateway!.url, subscriptions: LOAD.idle }, (line, child) => {
      const said = JSON.parse(line) as { worldBuilt?: boolean; ready?: number };
      if (said.worldBuilt) {
        before = memoryAfterGc();
        child.stdin!.write('go\n');
      } else if (said.ready !== undefined) {
        count = said.ready;
        after = memoryAfterGc();
        child.kill('SIGKILL');
      }
    });
    const perSubscriptionKB = (mb: number) => (mb * 1024) / Math.max(count, 1);
    return {
      count,
      rssBeforeMB: before.rssMB,
      rssAfterMB: after.rssMB,
      kbPerSubscription: perSubscriptionKB(after.rssMB - before.rssMB),
      heapKbPerSubscription: perSubscriptionKB(after.heapMB - before.heapMB),
    };
  } finally {
    await app.stop();
  }
}

/** Fills one room with `count` messages straight in SQL (setup, not measured), then times `messages(last: 50)` over HTTP. */
async function historyReads(gatewayUrl: string, databaseUrl: string): Promise<BenchResults['history']> {
  const user = await signUp(gatewayUrl);
  const roomId = (await gql(gatewayUrl, 'mutation { createRoom(memberIds: []) { id } }', {}, user.token)).createRoom.id as string;
  progress(`history: inserting ${LOAD.history.toLocaleString('en')} messages into one room`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `insert into messages (id, room_id, seq, kind, body, sender_id, created_at)
       select gen_random_uuid(), $1, s, 'TEXT', 'message ' || s, $2, now() from generate_series(1, $3::int) s`,
      [roomId, user.id, LOAD.history],
    );
    await db.query('update rooms set last_seq = $2 where id = $1', [roomId, LOAD.history]);
    await db.query('analyze messages');
  } finally {
    await db.end();
  }
  const query = 'query($r: ID!) { messages(roomId: $r, last: 50) { edges { node { seq body sender { username } } } } }';
  for (let i = 0; i < 20; i++) await gql(gatewayUrl, query, { r: roomId }, user.token); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < 500; i++) {
    const started = performance.now();
    await gql(gatewayUrl, query, { r: roomId }, user.token);
    samples.push(performance.now() - started);
  }
  return { storedMessages: LOAD.history, requests: samples.length, ms: percentiles(samples) };
}

function judge(results: BenchResults): BenchResults['targets'] {
  const service = results.steps.filter((s) => s.target === 'service');
  const at1000 = service.find((s) => s.offeredPerSec === 1000);
  const closed = service.find((s) => s.mode === 'closed');
  const memoryClosed = results.steps.find((s) => s.target === 'memory' && s.mode === 'closed');
  const share = closed && memoryClosed ? closed.sentPerSec / memoryClosed.sentPerSec : null;
  const idle = results.idleSubscriptions;
  const history = results.history;
  const ms = (n: number | undefined) => (n === undefined ? 'not measured' : `${n.toFixed(1)} ms`);
  return [
    {
      name: 'delivery p99 at 1,000 msg/s (1,000 subscribers, 100 rooms)',
      target: '≤ 50 ms',
      measured: ms(at1000?.deliveryMs.p99),
      met: !!at1000 && at1000.deliveryMs.p99 <= 50,
      note: '',
    },
    { name: 'sendChat p99 at 1,000 msg/s', target: '≤ 50 ms', measured: ms(at1000?.sendMs?.p99), met: !!at1000?.sendMs && at1000.sendMs.p99 <= 50, note: '' },
    {
      name: 'sustained sendChat/s (closed loop)',
      target: '≥ 5,000/s',
      measured: closed ? `${Math.round(closed.sentPerSec)}/s` : 'not measured',
      met: !!closed && closed.sentPerSec >= 5000,
      note: '',
    },
    { name: 'share of the GraphQL-only ceiling (b)', target: '≥ 50 %', measured: share === null ? 'not measured' : `${(share * 100).toFixed(0)} %`, met: share !== null && share >= 0.5, note: '' },
    {
      name: `RSS per idle subscription (${idle?.count ?? 0} on one gateway, after a full GC)`,
      target: '≤ 40 KB (10,000 subscriptions)',
      measured: idle ? `${idle.kbPerSubscription.toFixed(1)} KB` : 'not measured',
      met: !!idle && idle.count >= 10_000 && idle.kbPerSubscription <= 40,
      note: '',
    },
    {
      name: `messages(last: 50) p99 with ${history?.storedMessages.toLocaleString('en') ?? 0} stored`,
      target: '≤ 5 ms (1,000,000 messages)',
      measured: ms(history?.ms.p99),
      met: !!history && history.storedMessages >= 1_000_000 && history.ms.p99 <= 5,
      note: '',
    },
    ...peerTargets(results.steps),
  ];
}

/** Issue 14's targets against the conventional peer, measured in the same run. */
function peerTargets(steps: Step[]): BenchResults['targets'] {
  const find = (target: Step['target'], mode: Step['mode'], rate?: number) =>
    steps.find((s) => s.target === target && s.mode === mode && (rate === undefined || s.offeredPerSec === rate));
  const note = (s: Step | undefined) => (s?.loadAverage === undefined ? '' : `load average ${s.loadAverage.toFixed(1)} (2 cores)`);
  const out: BenchResults['targets'] = [];
  for (const rate of [100, 150]) {
    const svc = find('service', 'open', rate);
    const peer = find('peer', 'open', rate);
    for (const [what, pick] of [
      ['delivery', (s: Step) => s.deliveryMs],
      ['sendChat', (s: Step) => s.sendMs],
    ] as const) {
      const a = svc && pick(svc);
      const b = peer && pick(peer);
      out.push({
        name: `peer: ${what} p50 / p99 at ${rate}/s, service ÷ peer`,
        target: '≤ 2× each',
        measured: a && b ? `${a.p50.toFixed(1)} / ${a.p99.toFixed(1)} ÷ ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} ms = ${(a.p50 / b.p50).toFixed(2)}× / ${(a.p99 / b.p99).toFixed(2)}×` : 'not measured',
        met: !!a && !!b && a.p50 <= 2 * b.p50 && a.p99 <= 2 * b.p99,
        note: note(svc),
      });
    }
  }
  const closed = find('service', 'closed');
  const peerClosed = find('peer', 'closed');
  out.push({
    name: 'peer: closed-loop sendChat/s, service ÷ peer',
    target: '≥ 1×',
    measured: closed && peerClosed ? `${Math.round(closed.sentPerSec)} ÷ ${Math.round(peerClosed.sentPerSec)} = ${(closed.sentPerSec / peerClosed.sentPerSec).toFixed(2)}×` : 'not measured',
    met: !!closed && !!peerClosed && closed.sentPerSec >= peerClosed.sentPerSec,
    note: note(closed),
  });
  const cpu = cpuTotal(find('service', 'open', 100));
  const peerCpu = cpuTotal(find('peer', 'open', 100));
  out.push({
    name: 'peer: CPU ms per chat at 100/s (all server processes), service ÷ peer',
    target: '≤ 1.5×',
    measured: cpu !== undefined && peerCpu ? `${cpu.toFixed(1)} ÷ ${peerCpu.toFixed(1)} = ${(cpu / peerCpu).toFixed(2)}×` : 'not measured',
    met: cpu !== undefined && !!peerCpu && cpu <= 1.5 * peerCpu,
    note: note(find('service', 'open', 100)),
  });
  const sequential = find('service', 'sequential');
  out.push({
    name: 'sequential client (one sender), delivery p50 / p99',
    target: '≤ 10 / 30 ms',
    measured: sequential ? `${sequential.deliveryMs.p50.toFixed(1)} / ${sequential.deliveryMs.p99.toFixed(1)} ms` : 'not measured',
    met: !!sequential && sequential.deliveryMs.p50 <= 10 && sequential.deliveryMs.p99 <= 30,
    note: `${note(sequential)}; the other targets' subscribers stay connected, idle`,
  });
  return out;
}

async function main(): Promise<void> {
  if (!global.gc) throw new Error('run with node --expose-gc (npm run bench does): memory is measured after a forced GC');
  const startedAt = new Date().toISOString();
  progress(`${QUICK ? 'quick' : 'full'} run: ${JSON.stringify(LOAD)}`);
  const kafka = await startKafka({ port: 0, log: progress });
  const db = await ensurePostgres({
    databaseUrl: process.env.DATABASE_URL?.replace(/\/[^/?]+(\?|$)/, `/chat_bench_${process.pid}$1`),
    defaultDb: `chat_bench_${process.pid}`,
    log: progress,
  });
  const processes: ServiceProcess[] = [];
  const memory = await startMemoryServer();
  let peer: Awaited<ReturnType<typeof startPeer>> = null;
  const traces = TRACE ? new TraceCollector() : null;
  try {
    const env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: `bench.${randomUUID().slice(0, 8)}`,
      JWT_SECRET,
      LOG_QUIET: '1',
      // The senders are few and fast by design: the per-user send rate would measure itself, not the service.
      SEND_RATE_PER_SECOND: '0',
      // All the load generator's clients come from 127.0.0.1.
      SIGN_UP_RATE_PER_ADDRESS: '0',
      LOGIN_RATE_PER_ADDRESS: '0',
      REQUEST_RATE_PER_ADDRESS: '0',
      // Thousands of subscriptions from one address and a few users.
      WS_SOCKETS_PER_ADDRESS: '0',
      WS_SOCKETS_PER_USER: '0',
      // Setting up the world befriends and puts in rooms many users at once.
      SOCIAL_RATE_PER_MINUTE: '0',
      // Hundreds of subscriptions open at once while other work loads the cores: queued, not refused.
      SUBSCRIPTION_SETUP_WAIT_MS: '60000',
      // The upload bench sends many files as one user.
      UPLOAD_RATE_PER_MINUTE: '0',
      UPLOAD_BYTES_PER_HOUR: '0',
    };
    if (ONLY === 'scale') {
      process.stdout.write(`${renderScale(await scaleStep(QUICK ? SCALE_PLAN_QUICK : SCALE_PLAN, env, progress))}\n`);
      return;
    }
    if (traces) {
      await traces.start();
      Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: traces.endpoint });
      progress(`tracing on: the service exports its spans to ${traces.endpoint}`);
    }
    processes.push(await startProcess('worker', env));
    const gateway = await startProcess('gateway', env);
    processes.push(gateway);
    progress(`service up: gateway ${gateway.url}, in-memory ceiling ${memory.url}`);
    if (ONLY === 'live') {
      reportTargets((await liveBench({ gatewayUrl: gateway.url, env, quick: QUICK, progress })).targets);
      return;
    }
    if (ONLY === 'reactions') {
      const throughput = await reactionThroughput(gateway.url, memory.url, LOAD.senders, LOAD.stepSeconds);
      reportTargets([reactionTarget(throughput)]);
      return;
    }
    if (ONLY === 'uploads') {
      for (const line of describeUploadBench(await uploadBench(gateway.url, progress, UPLOAD_LOAD))) progress(line);
      return;
    }

    const results: BenchResults = {
      startedAt,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim() ?? '', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, os: `${os.type()} ${os.release()}` },
      load: {
        rooms: LOAD.rooms,
        subscribers: LOAD.subscribers,
        senders: LOAD.senders,
        stepSeconds: LOAD.stepSeconds,
        note:
          'broker, PostgreSQL, Redis, gateway, worker, the peer and the load generators on this one machine; open-loop latency counted from when each send was due; ' +
          `each step warmed up for ${LOAD.warmSeconds} s first; service, peer and in-memory take turns at every step`,
      },
      steps: [],
      idleSubscriptions: null,
      history: null,
      targets: [],
    };
    const dbName = new URL(db.url).pathname.slice(1);
    const brokerPort = Number(kafka.brokers[0].split(':').pop());
    const chatTargets: ChatTarget[] = [
      {
        target: 'service',
        url: gateway.url,
        cpu: { gateway: () => [gateway.pid], worker: () => [processes[0].pid], broker: () => kafkaBrokerPids(brokerPort), postgres: postgresBackends(dbName) },
        traces: traces ?? undefined,
      },
    ];
    peer = await startPeer(db.url);
    if (peer) {
      const peerPid = peer.pid;
      chatTargets.push({
        target: 'peer',
        url: peer.url,
        cpu: { 'peer server': () => [peerPid], redis: redisPids, postgres: postgresBackends(`${dbName}_peer`) },
      });
    }
    // The in-memory ceiling runs in this process, idle but for it while the steps run.
    chatTargets.push({ target: 'memory', url: memory.url, cpu: { 'memory server': () => [process.pid] } });
    results.steps.push(...(await interleavedChatSteps(chatTargets)));
    const kafkaOut = await runLoad({ kind: 'kafka', brokers: kafka.brokers, topic: `bench.raw.${randomUUID().slice(0, 8)}`, senders: LOAD.senders, steps });
    results.steps.push(...(JSON.parse(kafkaOut) as { steps: Step[] }).steps);
    progress(`idle subscriptions: opening ${LOAD.idle}`);
    results.idleSubscriptions = await idleSubscriptions(env);
    results.history = await historyReads(gateway.url, db.url);
    progress('scale step: 4 gateways, 2 workers, before and after reading only served partitions');
    const scale = await scaleStep(QUICK ? SCALE_PLAN_QUICK : SCALE_PLAN, env, progress);
    (results as BenchResults & { scale?: ScaleResult }).scale = scale;
    progress(renderScale(scale));
    // Files (bench/uploads.ts): in the JSON beside the rest, and in the progress output.
    const uploads = await uploadBench(gateway.url, progress, UPLOAD_LOAD);
    Object.assign(results, { uploads });
    // Moderation (issue 17): the moderator's lag and the time from a flood to its mute; kept in the JSON only.
    const moderation = await moderationBench(env, gateway.url, db.url, QUICK ? 10 : 50, progress);
    Object.assign(results, { moderation });
    progress(`moderation: flood->mute p50 ${moderation.floodToMuteMs.p50} ms p99 ${moderation.floodToMuteMs.p99} ms (${moderation.floods} floods); moderator lag p50 ${moderation.lagSamples.p50} p99 ${moderation.lagSamples.p99} max ${moderation.lagMax} records`);
    results.targets = judge(results);
    const { moderatorRunning: running, moderatorStopped: stopped } = moderation.sendChatMs;
    results.targets.push({
      name: 'sendChat p50 with the moderator stopped ÷ running (one at a time)',
      target: '≤ 1.2× (chat never waits for it)',
      measured: `${stopped.p50.toFixed(1)} ÷ ${running.p50.toFixed(1)} ms = ${(stopped.p50 / running.p50).toFixed(2)}× (p99 ${stopped.p99.toFixed(1)} ÷ ${running.p99.toFixed(1)} ms)`,
      met: stopped.p50 <= 1.2 * running.p50,
      note: '',
    });
    // Issue 16: searchMessages over the messages historyReads stored; addReaction beside sendChat.
    await stepOrMiss(results, 'search and reactions', async () => {
      results.lifecycle = { search: await searchReads(gateway.url, db.url), throughput: await reactionThroughput(gateway.url, memory.url, LOAD.senders, LOAD.stepSeconds) };
      results.targets.push(...lifecycleTargets(results.lifecycle));
    });
    // Issue 15: roomEvents + myEvents + typing beside roomMessages alone, and their idle memory.
    await stepOrMiss(results, 'live streams', async () => {
      results.targets.push(...(await liveBench({ gatewayUrl: gateway.url, env, quick: QUICK, progress })).targets);
    });
    if (QUICK) {
      // A smoke run: shown, not recorded; BENCHMARKS.md holds full runs only.
      process.stdout.write(`${renderMarkdown(results, 'bench/results/latest.svg')}\n`);
    } else {
      const { jsonPath, chartPath } = writeReport(results, ROOT);
      progress(`wrote ${path.relative(ROOT, jsonPath)}, ${path.relative(ROOT, chartPath)} and BENCHMARKS.md`);
    }
    for (const line of describeUploadBench(uploads)) progress(line);
    reportTargets(results.targets);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await memory.stop();
    await peer?.stop();
    await traces?.stop();
    await dropDatabase(db.url).catch(() => undefined);
    await db.stop();
    await kafka.stop();
  }
}

function reportTargets(targets: BenchResults['targets']): void {
  for (const t of targets) progress(`${t.met ? 'met   ' : 'missed'} ${t.name}: ${t.measured} (target ${t.target})`);
}

/**
 * Runs one of the last steps: a step that fails is reported as a missed
 * target with its error, and the figures measured so far are still written.
 */
async function stepOrMiss(results: BenchResults, name: string, step: () => Promise<void>): Promise<void> {
  progress(name);
  try {
    await step();
  } catch (err) {
    progress(`${name} failed: ${(err as Error).stack}`);
    results.targets.push({ name: `${name} step`, target: 'runs to the end', measured: `failed: ${(err as Error).message.slice(0, 200)}`, met: false, note: '' });
  }
}

main().catch((err) => {
  progress(`failed: ${(err as Error).stack}`);
  process.exit(1);
});
