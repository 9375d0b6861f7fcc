import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createClient } from 'graphql-ws';
import { Kafka, logLevel } from 'kafkajs';
import WebSocket from 'ws';
import { startProcess as startServiceProcess, type ServiceProcess } from '../../src/dev/processes';
import { ROOM_MESSAGES, createRoom, signUp, uniquePrefix, waitFor } from '../support';
import { JWT_SECRET } from './harness';

// SIGTERM (an orchestrator) and SIGINT (Ctrl-C) must stop every role within the shutdown bound,
// leaving its consumer groups, in development mode as people run it (NODE_ENV=test would hide
// Apollo's own signal handlers, which made the process hang after "shutting down").

/** main.ts's SHUTDOWN_TIMEOUT_MS, plus the time a loaded machine needs to start the exit. */
const EXIT_WITHIN_MS = 12_000;

const prefix = uniquePrefix('shutdown');
const env = {
  NODE_ENV: 'development',
  KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
  DATABASE_URL: process.env.DATABASE_URL!,
  KAFKA_TOPIC_PREFIX: prefix,
  JWT_SECRET,
  KAFKA_PARTITIONS: '3',
};
const start = (role: 'gateway' | 'worker') => startServiceProcess(role, env);

const kafka = new Kafka({ brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

/** Sends `signal` and resolves with the exit code once the process has exited; fails past the bound. */
async function stopWith(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  try {
    await waitFor(`exit after ${signal}`, () => code !== undefined, EXIT_WITHIN_MS);
  } finally {
    if (code === undefined) child.kill('SIGKILL');
  }
  return code!;
}

const membersOf = async (groupId: string) => (await admin.describeGroups([groupId])).groups[0].members.length;

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  let processes: ServiceProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.crash()));
    processes = [];
  });

  test('a gateway with an open subscription and a keep-alive connection exits in time; its subscriber is told to go elsewhere', async () => {
    const worker = await start('worker');
    const gateway = await start('gateway');
    processes.push(worker, gateway);
    const user = await signUp(gateway.url, 'stopper');
    const roomId = await createRoom(gateway.url, user, [], 'stopping');
    const client = createClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${user.token}` }, retryAttempts: 0 });
    let closeCode: number | undefined;
    let connected = false;
    client.on('connected', () => void (connected = true));
    client.on('closed', (event) => void (closeCode = (event as { code: number }).code));
    client.subscribe({ query: ROOM_MESSAGES, variables: { roomId } }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await waitFor('the socket to open', () => connected);
    await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'keep-alive' }, body: '{"query":"{ __typename }"}' });

    expect(await stopWith(gateway.child, signal)).toBe(0);
    expect(closeCode).toBe(1001);
    expect(await stopWith(worker.child, signal)).toBe(0);
    await client.dispose();
  });

  test('a worker exits in time and leaves the commands group', async () => {
    const worker = await start('worker');
    processes.push(worker);
    const group = `${prefix}.commands.worker`;
    await waitFor('the worker in its group', async () => (await membersOf(group)) > 0);
    expect(await stopWith(worker.child, signal)).toBe(0);
    expect(await membersOf(group)).toBe(0);
  });
});

test('`dev` (every role, plus the Kafka broker it started) stops in time on Ctrl-C', async () => {
  const main = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chat-dev-')), 'dev.log');
  const out = fs.openSync(logFile, 'a');
  // dev finds or starts a broker on 9092 itself; PostgreSQL is this run's database.
  const devEnv: Record<string, string | undefined> = { ...process.env, ...env, PORT: '0', LOG_QUIET: '0', KAFKA_BROKERS: undefined };
  const child = spawn(process.execPath, [main, 'dev'], { env: devEnv as NodeJS.ProcessEnv, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const log = () => fs.readFileSync(logFile, 'utf8');
  await waitFor('dev to start', () => log().includes('"msg":"started"'), 90_000).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${log().slice(-2000)}`);
  });
  const startedBroker = log().includes('starting Kafka');
  expect(await stopWith(child, 'SIGINT')).toBe(0);
  if (startedBroker) {
    const probe = new Kafka({ brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 }).admin();
    await expect(probe.connect()).rejects.toThrow();
  }
});
