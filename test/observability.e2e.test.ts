import { startApp, type App } from '../src/app';
import { createLogger } from '../src/log';
import {
  SEND_CHAT,
  gql,
  gqlOk,
  roomOfTwo,
  signUp,
  startTestApp,
  testConfig,
  uniquePrefix,
  waitFor,
  wsRequest,
  type RoomWatcher,
  RoomWatcher as Watcher,
} from './support';

/**
 * What an operator sees: the logs, /metrics, /healthz and /readyz of a
 * worker-only process (METRICS_PORT) and of a gateway, after real traffic.
 */
const prefix = uniquePrefix('observability');
/** Every line the gateway and the worker log, at debug level. */
const logLines: string[] = [];
const capture = { write: (line: string) => void logLines.push(line) };
let worker: App;
let gateway: App;
let url: string;
const watchers: RoomWatcher[] = [];

beforeAll(async () => {
  worker = await startApp(testConfig(prefix, { METRICS_PORT: '0' }), ['worker'], createLogger('test-worker', false, { level: 'debug', destination: capture }));
  gateway = await startApp(testConfig(prefix), ['gateway'], createLogger('test-gateway', false, { level: 'debug', destination: capture }));
  url = gateway.gateway!.url;
});

afterAll(async () => {
  await Promise.all(watchers.map((w) => w.close()));
  await gateway?.stop();
  await worker?.stop();
});

const gatewayBase = () => url.replace(/\/graphql$/, '');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** GET a Prometheus text exposition and read its samples. */
async function scrape(base: string): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const samples: Sample[] = [];
  for (const line of (await res.text()).split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

async function probe(base: string, path: '/healthz' | '/readyz'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}

test('logs at debug level never contain a password or a token, over sign-up, login, requests and logout', async () => {
  const password = 'correct horse battery staple 42';
  const username = `secretive_${Date.now().toString(36)}`;
  const signedUp = await gqlOk(url, 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
    input: { username, password },
  });
  const { login } = await gqlOk(url, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', {
    u: username,
    p: password,
  });
  const token = login.token as string;
  await gqlOk(url, '{ me { username } }', {}, token);
  expect((await wsRequest(url, token, '{ me { username } }')).data).toEqual({ me: { username } });
  // A wrong password and a forged token are logged too, if at all, without their values.
  expect((await gql(url, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: username, p: `${password}!` })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect((await gql(url, '{ me { username } }', {}, `${token}x`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  await gqlOk(url, 'mutation { logout }', {}, token);

  // The debug lines were written (so the check below looks at something), one per operation, its root field named.
  const operations = logLines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'graphql operation');
  const fields = operations.map((line) => `${line.transport} ${line.fields.join(',')} ${line.outcome}`);
  expect(fields).toEqual(
    expect.arrayContaining(['http signUp ok', 'http login ok', 'http me ok', 'ws me ok', 'http login UNAUTHENTICATED', 'http logout ok']),
  );
  const everything = logLines.join('');
  for (const secret of [password, signedUp.signUp.token, token, token.split('.')[2]]) expect(everything).not.toContain(secret);
});

test('/metrics after real traffic: operations by root field and outcome, subscriptions, delivery latency, consumers', async () => {
  const { alice, bob, roomId } = await roomOfTwo(url);
  const watcher = new Watcher(url, bob.token).watch(roomId, 0);
  watchers.push(watcher);
  await waitFor('the subscription to be counted', async () => total(await scrape(gatewayBase()), 'chat_graphql_active_subscriptions') === 1);

  const chats = 3;
  for (let i = 1; i <= chats; i++) {
    await gqlOk(url, SEND_CHAT, { input: { roomId, body: `hello ${i}`, clientMessageId: `m-${i}` } }, alice.token);
  }
  await waitFor('bob to see the chats', () => watcher.messages.length >= chats);
  await gqlOk(url, 'query($id: ID!) { messages(roomId: $id, last: 10) { edges { node { seq } } } }', { id: roomId }, bob.token);
  const stranger = await signUp(url, 'stranger');
  const refused = await gql(url, SEND_CHAT, { input: { roomId, body: 'let me in', clientMessageId: 'x-1' } }, stranger.token);
  const refusedCode = refused.errors?.[0].extensions?.code as string;
  expect(refusedCode).toBe('FORBIDDEN');

  const samples = await scrape(gatewayBase());
  const operations = (labels: Record<string, string>) => total(samples, 'chat_graphql_operations_total', labels);
  expect(operations({ transport: 'http', type: 'mutation', field: 'sendChat', outcome: 'ok' })).toBe(chats);
  expect(operations({ transport: 'http', type: 'mutation', field: 'sendChat', outcome: refusedCode })).toBe(1);
  expect(operations({ transport: 'http', type: 'query', field: 'messages', outcome: 'ok' })).toBe(1);
  expect(operations({ transport: 'ws', type: 'subscription', field: 'roomMessages', outcome: 'ok' })).toBe(1);
  // Labels are the schema's root fields: no client-chosen operation name, nothing unbounded.
  expect(new Set(samples.filter((s) => s.name === 'chat_graphql_operations_total').map((s) => Object.keys(s.labels).sort().join()))).toEqual(
    new Set(['field,outcome,transport,type']),
  );

  const sendChatCount = total(samples, 'chat_graphql_operation_duration_seconds_count', { transport: 'http', field: 'sendChat' })!;
  const sendChatSum = total(samples, 'chat_graphql_operation_duration_seconds_sum', { transport: 'http', field: 'sendChat' })!;
  expect(sendChatCount).toBe(chats + 1);
  // A mutation waits for the worker: more than nothing, less than the command timeout each.
  expect(sendChatSum).toBeGreaterThan(0);
  expect(sendChatSum / sendChatCount).toBeLessThan(5);

  // Delivery latency: once per message reaching this gateway's subscribers (three chats; the room's creation may add none).
  const deliveries = total(samples, 'chat_message_delivery_latency_seconds_count')!;
  expect(deliveries).toBeGreaterThanOrEqual(chats);
  // Negative latencies are clamped to 0, so only a sum above 0 shows real deliveries were timed (one host, one clock).
  const deliverySum = total(samples, 'chat_message_delivery_latency_seconds_sum')!;
  expect(deliverySum).toBeGreaterThan(0);
  expect(deliverySum / deliveries).toBeLessThan(5);

  expect(total(samples, 'chat_kafka_consumer_joined', { consumer: 'replies' })).toBe(1);
  expect(total(samples, 'chat_kafka_consumer_joined', { consumer: 'messages' })).toBe(1);
  // Lag per partition, as of each consumer's last batch: 0 once they have caught up with all that went through.
  await waitFor('the gateway consumers to report no lag', async () => {
    const scraped = await scrape(gatewayBase());
    return ['messages', 'replies'].every((consumer) => total(scraped, 'chat_kafka_consumer_lag_messages', { consumer }) === 0);
  });
  // The process's own metrics come along.
  expect(total(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);

  await watcher.close();
  await waitFor('the subscription to be gone from the gauge', async () => total(await scrape(gatewayBase()), 'chat_graphql_active_subscriptions') === 0);
});

test("a worker-only process serves the worker's metrics on METRICS_PORT", async () => {
  // The previous tests sent chats, sign-ups and logins through this worker.
  const samples = await waitFor('the worker to have applied the chats', async () => {
    const scraped = await scrape(worker.probes!.url);
    const applied = (total(scraped, 'chat_worker_commands_total', { type: 'SendChat', outcome: 'ok' }) ?? 0) >= 3;
    return applied && total(scraped, 'chat_kafka_consumer_lag_messages', { consumer: 'commands' }) === 0 ? scraped : null;
  });
  expect(total(samples, 'chat_worker_command_apply_duration_seconds_count', { type: 'SendChat' })).toBeGreaterThanOrEqual(3);
  expect(total(samples, 'chat_worker_command_apply_duration_seconds_sum', { type: 'SendChat' })).toBeGreaterThan(0);
  expect(total(samples, 'chat_worker_commands_total', { type: 'SignUp', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
  expect(total(samples, 'chat_worker_batch_duration_seconds_count')).toBeGreaterThan(0);
  expect(total(samples, 'chat_kafka_consumer_joined', { consumer: 'commands' })).toBe(1);
  // A worker serves no GraphQL: none of the gateway's series.
  expect(total(samples, 'chat_graphql_operations_total')).toBeUndefined();
});

test('/healthz and /readyz of the gateway and of a worker list their consumers; a stopped consumer makes it unready', async () => {
  expect(await probe(gatewayBase(), '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await probe(gatewayBase(), '/readyz')).toEqual({ status: 200, body: { status: 'ready', consumers: { replies: 'joined', messages: 'joined' } } });
  expect(await probe(worker.probes!.url, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await probe(worker.probes!.url, '/readyz')).toEqual({ status: 200, body: { status: 'ready', consumers: { commands: 'joined' } } });

  await worker.worker!.stop();
  expect(await probe(worker.probes!.url, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await probe(worker.probes!.url, '/readyz')).toEqual({
    status: 503,
    body: { status: 'unavailable', failing: ['consumer:commands'], consumers: { commands: 'stopped' } },
  });
  expect((await fetch(`${worker.probes!.url}/graphql`)).status).toBe(404);
});

test("with gateway and worker in one process, the gateway's /metrics shows the worker's too", async () => {
  const both = await startTestApp(testConfig(uniquePrefix('observability-all')), ['gateway', 'worker']);
  try {
    const bothUrl = both.gateway!.url;
    await signUp(bothUrl, 'together');
    const samples = await scrape(bothUrl.replace(/\/graphql$/, ''));
    expect(total(samples, 'chat_worker_commands_total', { type: 'SignUp', outcome: 'ok' })).toBe(1);
    expect(total(samples, 'chat_graphql_operations_total', { field: 'signUp', outcome: 'ok' })).toBe(1);
    expect(both.probes).toBeNull(); // no METRICS_PORT: in development the gateway's port serves /metrics
    expect(await probe(bothUrl.replace(/\/graphql$/, ''), '/readyz')).toMatchObject({
      status: 200,
      body: { consumers: { commands: 'joined', replies: 'joined', messages: 'joined' } },
    });
  } finally {
    await both.stop();
  }
});

test('in production /metrics is served only on METRICS_PORT, never on the public port; /healthz and /readyz stay there', async () => {
  const [withPort, without] = await Promise.all([
    startTestApp(testConfig(prefix, { NODE_ENV: 'production', METRICS_PORT: '0' }), ['gateway']),
    startTestApp(testConfig(prefix, { NODE_ENV: 'production' }), ['gateway']),
  ]);
  try {
    for (const app of [withPort, without]) {
      const base = app.gateway!.url.replace(/\/graphql$/, '');
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect(await probe(base, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await probe(base, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    }
    // On its own port: the gateway's series, and the probes beside them.
    // (The worker was stopped above: a query that needs none.)
    expect((await gql(withPort.gateway!.url, '{ me { id } }')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const samples = await scrape(withPort.probes!.url);
    expect(total(samples, 'chat_graphql_operations_total', { field: 'me', outcome: 'UNAUTHENTICATED' })).toBe(1);
    expect(await probe(withPort.probes!.url, '/readyz')).toMatchObject({ status: 200, body: { consumers: { replies: 'joined', messages: 'joined' } } });
    expect(without.probes).toBeNull();
  } finally {
    await Promise.all([withPort.stop(), without.stop()]);
  }
});
