import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import type { App } from '../src/app';
import { dropDatabase, ensureDatabase } from '../src/dev/postgres';
import { Tokens } from '../src/gateway/auth';
import {
  RoomWatcher,
  SEND_CHAT,
  gql,
  gqlOk,
  range,
  roomOfTwo,
  signUp,
  startTestApp,
  testConfig,
  uniquePrefix,
  waitFor,
  wsRequest,
} from './support';

// What one client must not be able to take from everyone else on a gateway: its sockets, the
// database pool through subscriptions, an expired token's sockets, and the schema through hints.
// A database of this file's own: one test locks a table in it.
const prefix = uniquePrefix('gateway-hardening');
const databaseName = `chat_t_gwh_${randomUUID().slice(0, 8)}`;
let databaseUrl: string;
let worker: App;
const apps: App[] = [];
/** WS_SOCKETS_PER_USER=3. */
let perUser: string;
/** WS_SOCKETS_PER_ADDRESS=5. */
let perAddress: string;
/** SUBSCRIPTION_SETUP_CONCURRENCY=2, SUBSCRIPTION_SETUP_WAIT_MS=1000; development. */
let dev: string;
let production: string;

const config = (env: Record<string, string> = {}) => testConfig(prefix, { DATABASE_URL: databaseUrl, ...env });

beforeAll(async () => {
  databaseUrl = await ensureDatabase(process.env.DATABASE_URL!, databaseName);
  worker = await startTestApp(config(), ['worker']);
  const start = async (env: Record<string, string>) => {
    const app = await startTestApp(config(env), ['gateway']);
    apps.push(app);
    return app.gateway!.url;
  };
  [perUser, perAddress, dev, production] = await Promise.all([
    start({ WS_SOCKETS_PER_USER: '3' }),
    start({ WS_SOCKETS_PER_ADDRESS: '5' }),
    start({ SUBSCRIPTION_SETUP_CONCURRENCY: '2', SUBSCRIPTION_SETUP_WAIT_MS: '1000' }),
    start({ NODE_ENV: 'production' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await worker?.stop();
  if (databaseUrl) await dropDatabase(databaseUrl);
});

/** A raw socket speaking graphql-ws's protocol: whether it got connection_ack, and how it was closed. */
function socket(url: string, token?: string) {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  let acked = false;
  let closedWith: { code: number; reason: string; at: number } | null = null;
  /** The payloads of `next` messages (results and errors alike). */
  const results: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }[] = [];
  ws.on('open', () => {
    if (token) ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  });
  ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'connection_ack') acked = true;
    if (message.type === 'next') results.push(message.payload);
  });
  ws.on('close', (code, reason) => void (closedWith = { code, reason: reason.toString(), at: Date.now() }));
  ws.on('error', () => undefined);
  return {
    ws,
    results,
    subscribe: (query: string, variables: Record<string, unknown>) =>
      ws.send(JSON.stringify({ id: randomUUID(), type: 'subscribe', payload: { query, variables } })),
    get acked() {
      return acked;
    },
    get closed() {
      return closedWith;
    },
    close: () => ws.close(),
  };
}
type Socket = ReturnType<typeof socket>;

/** A development gateway's /metrics, as text. */
const metricsOf = async (url: string) => (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();

/** Acked or closed, whichever comes first. */
const settled = (s: Socket) => waitFor('the socket to be acknowledged or closed', () => s.acked || s.closed);

describe('sockets per user and per client address', () => {
  const opened: Socket[] = [];
  afterAll(() => opened.forEach((s) => s.close()));
  const open = (url: string, token?: string) => {
    const s = socket(url, token);
    opened.push(s);
    return s;
  };

  test("a user's socket over WS_SOCKETS_PER_USER is closed with 4429 and says why; other users are not held back", async () => {
    const alice = await signUp(perUser, 'alice');
    const bob = await signUp(perUser, 'bob');
    const three = range(1, 3).map(() => open(perUser, alice.token));
    await Promise.all(three.map(settled));
    expect(three.map((s) => s.acked)).toEqual([true, true, true]);

    const fourth = open(perUser, alice.token);
    await settled(fourth);
    expect(fourth.acked).toBe(false);
    expect(fourth.closed).toMatchObject({ code: 4429, reason: 'Too many connections: at most 3 open sockets per user' });
    // Another login of the same user counts too: the cap is per user, not per token.
    const { login } = await gqlOk(perUser, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', {
      u: alice.username,
      p: 'correct horse battery',
    });
    const otherToken = open(perUser, login.token);
    await settled(otherToken);
    expect(otherToken.closed?.code).toBe(4429);

    expect(await metricsOf(perUser)).toContain('chat_ws_sockets_refused_total{cap="user"} 2');

    const bobs = open(perUser, bob.token);
    await settled(bobs);
    expect(bobs.acked).toBe(true);
    expect(three.every((s) => s.closed === null)).toBe(true);

    // A socket closed frees its place (once the gateway has seen it close).
    three[0].close();
    await waitFor('a new socket of alice to be accepted', async () => {
      const again = open(perUser, alice.token);
      await settled(again);
      return again.acked;
    });
  });

  test('sockets from one address over WS_SOCKETS_PER_ADDRESS are closed with 4429 at once, before any connection_init', async () => {
    const user = await signUp(perAddress, 'crowd');
    // Anonymous sockets that never send connection_init count: they hold memory until the 3 s init timeout.
    const five = range(1, 5).map(() => open(perAddress));
    await waitFor('the five sockets to open', () => five.every((s) => s.ws.readyState === WebSocket.OPEN));
    const sixth = open(perAddress, user.token);
    const sixthOpenedAt = Date.now();
    await settled(sixth);
    expect(sixth.acked).toBe(false);
    expect(sixth.closed).toMatchObject({ code: 4429, reason: 'Too many connections: at most 5 open sockets per client address' });
    expect(sixth.closed!.at - sixthOpenedAt).toBeLessThan(2_000); // not the 3 s init timeout
    expect(await metricsOf(perAddress)).toContain('chat_ws_sockets_refused_total{cap="address"} 1');

    // The anonymous ones end at the init timeout (4408), and their places are free again.
    await waitFor('the idle sockets to be closed', () => five.every((s) => s.closed?.code === 4408), 10_000);
    await waitFor('a socket to be accepted again', async () => {
      const again = open(perAddress, user.token);
      await settled(again);
      return again.acked;
    });
  });
});

test('a socket is closed with 4403 when its token expires, with its subscriptions', async () => {
  const { alice, roomId } = await roomOfTwo(dev);
  // A token of a real user that expires in about 2 s (TOKEN_TTL_SECONDS cannot be set that short).
  const shortLived = await new Tokens({ ...config(), tokenTtlSeconds: 2 }).issue(alice.id);
  const s = socket(dev, shortLived.token);
  try {
    await waitFor('connection_ack', () => s.acked);
    s.subscribe('subscription($r: ID!) { roomMessages(roomId: $r) { seq } }', { r: roomId });
    const closed = await waitFor('the socket to be closed', () => s.closed, 10_000);
    expect(closed).toMatchObject({ code: 4403, reason: 'Forbidden: token expired; log in again' });
    // The token's exp is in whole seconds.
    const expiredAt = Math.floor(shortLived.expiresAt.getTime() / 1000) * 1000;
    expect(closed.at).toBeGreaterThanOrEqual(expiredAt);
    expect(closed.at - expiredAt).toBeLessThan(1_000);
  } finally {
    s.close();
  }
});

describe("subscriptions' share of the database pool", () => {
  test('while set-ups are stuck in the database, at most SUBSCRIPTION_SETUP_CONCURRENCY of them hold connections, queries still answer, the rest get a retriable error', async () => {
    const { alice, bob, roomId } = await roomOfTwo(dev);
    const db = new PgClient({ connectionString: databaseUrl });
    await db.connect();
    const sockets = range(1, 12).map(() => socket(dev, alice.token));
    const watchers: RoomWatcher[] = [];
    const waitingOnLock = async () =>
      Number((await db.query("select count(*) as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'", [databaseName])).rows[0].n);
    const errorsOf = (s: Socket) => s.results.find((r) => r.errors)?.errors;
    try {
      await waitFor('the sockets to be acknowledged', () => sockets.every((s) => s.acked));
      // Every membership read (the first read of a subscription) now waits for this transaction.
      await db.query('begin');
      await db.query('lock table room_members in access exclusive mode');
      for (const s of sockets) s.subscribe('subscription($r: ID!) { roomMessages(roomId: $r) { seq body } }', { r: roomId });
      await waitFor('two set-ups to wait in the database', async () => (await waitingOnLock()) >= 2);

      // The pool has 10 connections: without the share, 10 of the 12 set-ups would hold them all and `me` would wait for one.
      const startedAt = Date.now();
      expect(await gqlOk(dev, '{ me { id } }', {}, bob.token)).toEqual({ me: { id: bob.id } });
      expect(Date.now() - startedAt).toBeLessThan(1_000);

      // Past SUBSCRIPTION_SETUP_WAIT_MS (1 s) the ten waiting for a turn are refused, retriably; two are still in the database.
      const refused = await waitFor('ten set-ups to be refused', () => {
        const errors = sockets.filter(errorsOf);
        return errors.length === 10 && errors;
      });
      for (const s of refused) {
        expect(errorsOf(s)).toMatchObject([
          {
            message: 'too many subscriptions are starting on this server at once; subscribe again shortly',
            extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true, reason: 'SUBSCRIPTIONS_BUSY' },
          },
        ]);
      }
      expect(await waitingOnLock()).toBe(2);
      expect(await metricsOf(dev)).toContain('chat_graphql_operations_total{transport="ws",type="subscription",field="roomMessages",outcome="SERVICE_UNAVAILABLE"} 10');

      // Once the database answers, the two set up and go live.
      await db.query('commit');
      const live = sockets.filter((s) => !errorsOf(s));
      expect(live).toHaveLength(2);
      await waitFor('both to be set up', () => apps.find((a) => a.gateway!.url === dev)!.gateway!.openSubscriptions === 2);
      await gqlOk(dev, SEND_CHAT, { input: { roomId, body: 'after the lock' } }, bob.token);
      await waitFor('the message on both', () => live.every((s) => s.results.some((r) => r.data?.roomMessages.body === 'after the lock')));
      // And a refused one, subscribing again, gets through now.
      const retried = new RoomWatcher(dev, alice.token).watch(roomId, 0);
      watchers.push(retried);
      await waitFor('the retried subscription to replay the message', () => retried.messages.some((m) => m.body === 'after the lock'));
      expect(retried.errors).toBeNull();
    } finally {
      await db.query('rollback').catch(() => undefined);
      await db.end();
      sockets.forEach((s) => s.close());
      await Promise.all(watchers.map((w) => w.close()));
    }
  });
});

describe('what a request shows of the service', () => {
  const SUBSCRIPTION = 'subscription($r: ID!) { roomMessages(roomId: $r) { id } }';

  test.each([
    ['development', () => dev],
    ['production', () => production],
  ])('a subscription sent over HTTP is BAD_USER_INPUT with HTTP 400 (%s)', async (_mode, url) => {
    const { alice, roomId } = await roomOfTwo(url());
    const res = await gql(url(), SUBSCRIPTION, { r: roomId }, alice.token);
    expect(res.status).toBe(400);
    expect(res.errors).toMatchObject([
      {
        message: 'subscriptions are served over graphql-ws (a WebSocket to this URL), not over HTTP',
        extensions: { code: 'BAD_USER_INPUT', reason: 'SUBSCRIPTION_OVER_HTTP' },
      },
    ]);
    expect(res.data).toBeUndefined();
  });

  test('production gives no "Did you mean …?" suggestions, over HTTP and graphql-ws; development does', async () => {
    const user = await signUp(dev, 'typo');
    const TYPO = '{ me { usernam } }';
    const prodHttp = await gql(production, TYPO, {}, user.token);
    expect(prodHttp.status).toBe(400);
    expect(prodHttp.errors).toEqual([expect.objectContaining({ message: 'Cannot query field "usernam" on type "User".', extensions: { code: 'BAD_USER_INPUT' } })]);
    expect((await wsRequest(production, user.token, TYPO)).errors).toMatchObject([{ message: 'Cannot query field "usernam" on type "User".' }]);
    // In a variable's value too.
    const badInput = await gql(production, SEND_CHAT, { input: { roomId: randomUUID(), body: 'x', bodyy: 'x' } }, user.token);
    expect(badInput.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(badInput.errors?.[0].message).toContain('"bodyy"');
    expect(badInput.errors?.[0].message).not.toMatch(/did you mean/i);

    expect((await gql(dev, TYPO, {}, user.token)).errors?.[0].message).toBe('Cannot query field "usernam" on type "User". Did you mean "username"?');
  });
});
