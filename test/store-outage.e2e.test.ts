import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startApp, type App } from '../src/app';
import type { Config } from '../src/config';
import { Worker } from '../src/worker/worker';
import { RoomWatcher, SEND_CHAT, gql, gqlOk, recordingLogger, roomOfTwo, testConfig, uniquePrefix, waitFor, wsExecute } from './support';
import { TcpProxy } from './tcp-proxy';

// PostgreSQL is reached through a relay the test can cut, so the database itself is never touched.
const database = new URL(process.env.DATABASE_URL!);
const proxy = new TcpProxy(database.hostname, Number(database.port || 5432));
const prefix = uniquePrefix('store-outage');
const log = recordingLogger('test-store-outage');
let config: Config;
let app: App;

const HISTORY = 'query($id: ID!) { messages(roomId: $id, last: 100) { edges { node { clientMessageId body } } } }';

beforeAll(async () => {
  await proxy.start();
  const proxied = new URL(database);
  proxied.host = `127.0.0.1:${proxy.port}`;
  config = testConfig(prefix, { DATABASE_URL: proxied.toString() });
  // startTestApp's logger, but one the test can read: the worker's warnings are part of the behaviour.
  app = await startApp(config, ['worker', 'gateway'], log);
});

afterAll(async () => {
  await app?.stop();
  await proxy.stop();
});

async function readiness(): Promise<{ status: number; body: { status: string; failing?: string[] } }> {
  const res = await fetch(app.gateway!.url.replace(/\/graphql$/, '/readyz'));
  return { status: res.status, body: (await res.json()) as { status: string; failing?: string[] } };
}

/** A graphql-ws client whose socket is open (and its token checked) now, before the outage. */
async function connectedClient(token: string): Promise<Client> {
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const client = createClient({
    url: app.gateway!.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    on: { connected: () => connected() },
  });
  await ready;
  return client;
}

/** True once the worker group's committed offsets reach the end of every partition. */
async function commandsAllRead(): Promise<boolean> {
  const topic = config.topics.commands;
  const [ends, [committed]] = await Promise.all([
    app.admin.fetchTopicOffsets(topic),
    app.admin.fetchOffsets({ groupId: `${topic}.worker`, topics: [topic] }),
  ]);
  // An empty partition has nothing to commit (its committed offset stays -1).
  return ends.every(({ partition, high }) => high === '0' || committed.partitions.find((p) => p.partition === partition)?.offset === high);
}

test('PostgreSQL unreachable: SERVICE_UNAVAILABLE and not ready; back by itself when it returns, and a retried sendChat leaves one message', async () => {
  const url = app.gateway!.url;
  const { alice, bob, roomId } = await roomOfTwo(url);
  const socket = await connectedClient(alice.token);
  expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ready' } });

  await proxy.cut();
  let restored = false;
  try {
    const me = await gql(url, '{ me { id } }', {}, alice.token);
    expect(me.status).toBe(503);
    expect(me.errors).toEqual([{ message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true } }]);
    expect(me.errors![0].message).not.toMatch(new RegExp(`127\\.0\\.0\\.1|${proxy.port}|${database.port || 5432}|ECONN|select|revoked`, 'i'));

    expect(await readiness()).toMatchObject({ status: 503, body: { status: 'unavailable', failing: ['postgres'] } });

    // A socket opened now cannot have its token checked: closed with 1013, which graphql-ws clients retry.
    const late = new RoomWatcher(url, alice.token).watch(roomId, null);
    expect(await waitFor('the new socket to be closed', () => late.closeCode)).toBe(1013);
    await late.close();

    // The socket opened before the outage needs no database to send: the command reaches the worker, which waits.
    const input = { roomId, body: 'sent during the outage', clientMessageId: 'outage-1' };
    const during = wsExecute(socket, SEND_CHAT, { input });
    const waiting = await waitFor('the worker to wait for the database', () =>
      log.entries.find((e) => e.level === 'warn' && e.msg.startsWith('database unavailable; retrying') && e.fields.type === 'SendChat'),
    );
    await proxy.restore();
    restored = true;

    // Either the worker applied it in time, or the outcome is unknown and the client retries below.
    const first = await during;
    if (first.errors) expect(first.errors[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    else expect(first.data.sendChat.clientMessageId).toBe('outage-1');
    await waitFor('the worker to recover', () =>
      log.entries.some((e) => e.level === 'info' && e.msg.startsWith('database reachable again') && e.fields.commandId === waiting.fields.commandId),
    );
    // One warning when it began waiting, not one per attempt.
    expect(log.entries.filter((e) => e.msg.startsWith('database unavailable; retrying') && e.fields.commandId === waiting.fields.commandId)).toHaveLength(1);
  } finally {
    if (!restored) await proxy.restore(); // so the app can stop cleanly after a failure
    await socket.dispose();
  }

  await waitFor('the gateway to be ready again', async () => (await readiness()).status === 200);
  expect((await gqlOk(url, '{ me { id } }', {}, alice.token)).me.id).toBe(alice.id);
  const retried = await gqlOk(url, SEND_CHAT, { input: { roomId, body: 'sent during the outage', clientMessageId: 'outage-1' } }, alice.token);
  expect(retried.sendChat.clientMessageId).toBe('outage-1');
  const history = await gqlOk(url, HISTORY, { id: roomId }, bob.token);
  expect(history.messages.edges.filter((e: { node: { clientMessageId: string } }) => e.node.clientMessageId === 'outage-1')).toHaveLength(1);
});

test('a worker stopped while it waits for PostgreSQL leaves the command uncommitted; a successor handles it once the database is back', async () => {
  const url = app.gateway!.url;
  const { alice: carol, bob: dave, roomId } = await roomOfTwo(url);
  const socket = await connectedClient(carol.token);
  const topic = config.topics.commands;
  await waitFor('the earlier commands to be committed', commandsAllRead);
  const before = await app.admin.fetchTopicOffsets(topic);
  const seen = log.entries.length;
  const input = { roomId, body: 'sent before a shutdown', clientMessageId: 'outage-2' };

  await proxy.cut();
  let restored = false;
  let successor: Worker | null = null;
  try {
    const during = wsExecute(socket, SEND_CHAT, { input });
    await waitFor('the worker to wait for the database', () =>
      log.entries.slice(seen).some((e) => e.msg.startsWith('database unavailable; retrying') && e.fields.type === 'SendChat'),
    );
    // Returns while the database is still unreachable: the wait gives way to the shutdown.
    await app.worker!.stop();

    const after = await app.admin.fetchTopicOffsets(topic);
    const sent = after.find(({ partition, high }) => high !== before.find((b) => b.partition === partition)!.high)!;
    const [committed] = await app.admin.fetchOffsets({ groupId: `${topic}.worker`, topics: [topic] });
    const offset = committed.partitions.find((p) => p.partition === sent.partition)!.offset;
    // Not past the command: committed is at most where it was before the command was sent.
    expect(Number(offset)).toBeLessThanOrEqual(Number(before.find((b) => b.partition === sent.partition)!.high));

    await proxy.restore();
    restored = true;
    successor = new Worker(app.kafka, app.orm, config, log);
    await successor.start();
    await waitFor('the successor to handle the redelivered command', commandsAllRead);
    // Applied by the successor in time, or the outcome is unknown: both leave the retry below safe.
    const first = await during;
    if (first.errors) expect(first.errors[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    else expect(first.data.sendChat.clientMessageId).toBe('outage-2');
  } finally {
    if (!restored) await proxy.restore();
    await socket.dispose();
  }

  try {
    await gqlOk(url, SEND_CHAT, { input }, carol.token);
    const history = await gqlOk(url, HISTORY, { id: roomId }, dave.token);
    expect(history.messages.edges.filter((e: { node: { clientMessageId: string } }) => e.node.clientMessageId === 'outage-2')).toHaveLength(1);
  } finally {
    await successor?.stop();
  }
});
