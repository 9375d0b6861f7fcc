import { createClient, type Client } from 'graphql-ws';
import { getIntrospectionQuery } from 'graphql';
import WebSocket from 'ws';
import {
  SEND_CHAT,
  gql,
  gqlOk,
  range,
  roomOfTwo,
  serviceForThisFile,
  signUp,
  waitFor,
  wsRequest,
  type GqlError,
  type LiveMessage,
} from './support';

// What one request may ask, as clients see it: a worker and four gateways over the same topics,
// in development, in production, in production with introspection, and without a send rate.
const service = serviceForThisFile('limits', [{}, { NODE_ENV: 'production' }, { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }, { SEND_RATE_PER_SECOND: '0' }]);
let dev: string;
let production: string;
let productionWithIntrospection: string;
let unlimited: string;
beforeAll(() => {
  [dev, production, productionWithIntrospection, unlimited] = service.urls;
});

const wsUrl = (url: string) => url.replace(/^http/, 'ws');

/** A graphql-ws client of its own, closed by the test. */
function wsClient(url: string, token: string): Client {
  return createClient({ url: wsUrl(url), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: true });
}

/** A raw socket speaking graphql-ws's protocol, and how it was closed. */
function rawSocket(url: string) {
  const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  const received: string[] = [];
  socket.on('message', (data) => received.push(String(data)));
  return { socket, opened, closed, received };
}

describe('Apollo Sandbox and introspection', () => {
  const page = async (url: string) => {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    return { status: res.status, type: res.headers.get('content-type'), html: await res.text() };
  };
  const SCHEMA = '{ __schema { queryType { name } } }';

  test('a browser opening /graphql gets Apollo Sandbox in development, and not in production', async () => {
    const sandbox = await page(dev);
    expect(sandbox).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/html/) });
    expect(sandbox.html).toContain('new window.EmbeddedSandbox(');

    const plain = await page(production);
    expect(plain).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/html/) });
    expect(plain.html).not.toContain('new window.EmbeddedSandbox(');
    const landing = /window\.landingPage = "([^"]*)"/.exec(plain.html)?.[1];
    expect(JSON.parse(decodeURIComponent(landing ?? '{}'))).toMatchObject({ isProd: true });
  });

  test('development answers introspection over HTTP and graphql-ws, the full query Sandbox and codegen send included', async () => {
    const user = await signUp(dev, 'introspector');
    expect(await gqlOk(dev, SCHEMA)).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect((await wsRequest(dev, user.token, SCHEMA)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const full = await gqlOk(dev, getIntrospectionQuery());
    expect(full.__schema.types.map((t: { name: string }) => t.name)).toContain('Message');
  });

  test('production refuses introspection over HTTP and graphql-ws with a clear error; __typename still works', async () => {
    const user = await signUp(dev, 'prod');
    const refused = {
      message: 'introspection is turned off on this server; the query asks for __schema',
      extensions: { code: 'BAD_USER_INPUT', reason: 'INTROSPECTION_DISABLED' },
    };
    const overHttp = await gql(production, SCHEMA);
    expect(overHttp.status).toBe(400);
    expect(overHttp.errors).toMatchObject([refused]);
    expect(overHttp.data).toBeUndefined();
    const overWs = await wsRequest(production, user.token, SCHEMA);
    expect(overWs.errors).toMatchObject([refused]);
    expect(overWs.data).toBeUndefined();
    expect((await gql(production, '{ __type(name: "Query") { name } }')).errors).toMatchObject([
      { message: 'introspection is turned off on this server; the query asks for __type' },
    ]);
    expect(await gqlOk(production, '{ __typename }')).toEqual({ __typename: 'Query' });
  });

  test('production with GRAPHQL_INTROSPECTION=true answers it', async () => {
    const user = await signUp(dev, 'prodintro');
    expect(await gqlOk(productionWithIntrospection, SCHEMA)).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect((await wsRequest(productionWithIntrospection, user.token, SCHEMA)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

// Depth is not reachable here: the schema has no cycles, and its deepest query (5) is under the limit (10).
// test/limits.unit.test.ts refuses depth on a schema with a cycle.
describe('query cost and aliases, over HTTP and graphql-ws', () => {
  const PAGE = 'messages(roomId: $r, last: 100) { edges { cursor node { id seq body createdAt sender { id username displayName } attachment { name url } } } }';
  const COSTLY = `query($r: ID!) { a: ${PAGE} b: ${PAGE} c: ${PAGE} d: ${PAGE} e: ${PAGE} f: ${PAGE} g: ${PAGE} h: ${PAGE} i: ${PAGE} j: ${PAGE} }`;
  const aliases = (n: number) => range(1, n).map((i) => `a${i}: id`).join(' ');

  test('a query estimated too costly is refused before it runs, saying its cost and the limit', async () => {
    const user = await signUp(dev, 'costly');
    const variables = { r: '00000000-0000-4000-8000-000000000000' };
    const refused = {
      message: expect.stringMatching(/^query too costly: estimated cost \d+, at most 12000 allowed .*ask for fewer items or fields$/),
      extensions: { code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY', limit: 12000, actual: expect.any(Number) },
    };
    const overHttp = await gql(dev, COSTLY, variables, user.token);
    expect(overHttp.status).toBe(400);
    expect(overHttp.errors).toMatchObject([refused]);
    expect(overHttp.errors![0].extensions!.actual).toBeGreaterThan(10000);
    expect((await wsRequest(dev, user.token, COSTLY, variables)).errors).toMatchObject([refused]);
  });

  test('too many aliases are refused in queries and subscriptions alike', async () => {
    const user = await signUp(dev, 'aliases');
    const refused = {
      message: 'too many aliases: 21, at most 20 allowed',
      extensions: { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ALIASES', limit: 20, actual: 21 },
    };
    const overHttp = await gql(dev, `{ me { ${aliases(21)} } }`, {}, user.token);
    expect(overHttp.status).toBe(400);
    expect(overHttp.errors).toMatchObject([refused]);
    expect((await wsRequest(dev, user.token, `{ me { ${aliases(21)} } }`)).errors).toMatchObject([refused]);
    const subscription = `subscription($r: ID!) { roomMessages(roomId: $r) { ${aliases(21)} } }`;
    expect((await wsRequest(dev, user.token, subscription, { r: '00000000-0000-4000-8000-000000000000' })).errors).toMatchObject([refused]);
    // At the limit it runs.
    expect(await gqlOk(dev, `{ me { ${aliases(20)} } }`, {}, user.token)).toMatchObject({ me: { a1: user.id, a20: user.id } });
  });
});

describe('request size', () => {
  const post = (url: string, body: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (res) => ({ status: res.status, text: await res.text() }));
  const padded = (bytes: number) => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
    return JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(bytes - body.length) } });
  };

  test('an HTTP body over 1 MiB gets 413 with a GraphQL-shaped error; one just under is served', async () => {
    expect(Buffer.byteLength(padded(1024 * 1024 + 1))).toBe(1024 * 1024 + 1);
    const tooLarge = await post(dev, padded(1024 * 1024 + 1));
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text)).toEqual({
      errors: [
        {
          message: 'request body too large: at most 1048576 bytes (1 MiB)',
          extensions: { code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE', limit: 1048576 },
        },
      ],
    });
    const justUnder = await post(dev, padded(1024 * 1024));
    expect(justUnder).toEqual({ status: 200, text: expect.stringContaining('"__typename":"Query"') });
  });

  test('a WebSocket message over 1 MiB closes the socket with 1009; one under is served', async () => {
    const user = await signUp(dev, 'big');
    const under = rawSocket(dev);
    await under.opened;
    under.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}`, pad: 'x'.repeat(1000 * 1000) } }));
    await waitFor('connection_ack', () => under.received.some((m) => JSON.parse(m).type === 'connection_ack'));
    under.socket.close();

    const over = rawSocket(dev);
    await over.opened;
    over.socket.send('x'.repeat(1024 * 1024 + 1));
    expect(await over.closed).toMatchObject({ code: 1009 });
  });
});

describe('graphql-ws connections', () => {
  test('a socket that never sends connection_init is closed with 4408 after 3 s', async () => {
    const idle = rawSocket(dev);
    await idle.opened;
    const openedAt = Date.now();
    const { code, reason, at } = await idle.closed;
    expect({ code, reason }).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(at - openedAt).toBeGreaterThanOrEqual(2_900);
    expect(at - openedAt).toBeLessThan(6_000);
  });

  test('at most 50 operations in progress per socket: the next is refused, the socket stays, and a completed one frees its slot', async () => {
    const { alice, roomId } = await roomOfTwo(dev);
    const client = wsClient(dev, alice.token);
    let closed: number | null = null;
    client.on('closed', (event) => void (closed = (event as { code: number }).code));
    const watch = () => {
      const w = { messages: [] as LiveMessage[], errors: null as GqlError[] | null, stop: () => undefined as void };
      w.stop = client.subscribe<{ roomMessages: LiveMessage }>(
        { query: 'subscription($r: ID!) { roomMessages(roomId: $r) { seq body } }', variables: { r: roomId } },
        {
          next: ({ data }) => void (data && w.messages.push(data.roomMessages)),
          error: (err) => void (w.errors = Array.isArray(err) ? (err as GqlError[]) : [{ message: String(err) }]),
          complete: () => undefined,
        },
      );
      return w;
    };
    try {
      const fifty = range(1, 50).map(() => watch());
      const extra = watch();
      const [refused] = await waitFor('the 51st to be refused', () => extra.errors);
      expect(refused).toMatchObject({
        message: 'too many subscriptions on this connection: at most 50 operations in progress at once; complete one first',
        extensions: { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_SUBSCRIPTIONS', limit: 50 },
      });

      // Set up before the send: without afterSeq a subscription starts after the newest message as of its
      // set-up, which waits its turn at the database (SUBSCRIPTION_SETUP_CONCURRENCY) behind the others.
      const devGateway = service.gateways[0].gateway!;
      await waitFor('the fifty to be set up', () => devGateway.openSubscriptions === 50);
      fifty[0].stop();
      await waitFor('the first to be gone', () => devGateway.openSubscriptions === 49);
      const again = watch();
      await waitFor('the new one to be set up', () => devGateway.openSubscriptions === 50);
      await gqlOk(dev, SEND_CHAT, { input: { roomId, body: 'to all 50' } }, alice.token);
      await waitFor('the message on the new subscription', () => again.messages.length === 1);
      await waitFor('the message on the others', () => fifty.slice(1).every((w) => w.messages.length === 1));
      expect(again.errors).toBeNull();
      expect(fifty.every((w) => w.errors === null)).toBe(true);
      expect(closed).toBeNull();
    } finally {
      await client.dispose();
    }
  });
});

describe('sendChat rate per user', () => {
  const HISTORY = 'query($id: ID!) { messages(roomId: $id, last: 100) { edges { node { clientMessageId } } } }';
  const burst = (url: string, token: string, roomId: string, n: number) =>
    Promise.all(range(1, n).map((i) => gql(url, SEND_CHAT, { input: { roomId, body: `burst ${i}`, clientMessageId: `burst-${i}` } }, token)));
  const storedIds = async (url: string, token: string, roomId: string) =>
    (await gqlOk(url, HISTORY, { id: roomId }, token)).messages.edges.map((e: { node: { clientMessageId: string } }) => e.node.clientMessageId);

  test('past the burst: RATE_LIMITED with retryAfter, nothing of it stored, others unaffected; after the wait it sends again', async () => {
    const { alice, bob, roomId } = await roomOfTwo(dev);
    // 60 at once, three times the burst: even if a loaded machine takes a few seconds to take them in, the
    // 10-a-second refill cannot make up 40.
    const results = await burst(dev, alice.token, roomId, 60);
    const sent = results.filter((r) => r.data?.sendChat).map((r) => r.data.sendChat.clientMessageId as string);
    const refused = results.filter((r) => !r.data?.sendChat);
    expect(sent.length).toBeGreaterThanOrEqual(20); // the burst
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status).toBe(200); // a field error, like every refused mutation
      expect(r.errors).toMatchObject([
        {
          message: expect.stringMatching(/^sending too fast: at most 20 messages at once, then 10 a second; try again in \d+(\.\d+)? s$/),
          extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
        },
      ]);
      const { retryAfter } = r.errors![0].extensions as { retryAfter: number };
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(0.1); // one token at 10 a second
    }
    // Refused sends were not enqueued: exactly the accepted ones are stored.
    expect((await storedIds(dev, alice.token, roomId)).sort()).toEqual([...sent].sort());
    // Per user: bob is not held back by alice.
    await gqlOk(dev, SEND_CHAT, { input: { roomId, body: 'bob here' } }, bob.token);

    const after = await waitFor('a send that gets through again', async () => {
      const r = await gql(dev, SEND_CHAT, { input: { roomId, body: 'after', clientMessageId: 'after' } }, alice.token);
      if (r.errors) expect(r.errors[0].extensions?.code).toBe('RATE_LIMITED');
      return r.data?.sendChat;
    });
    expect(after).toMatchObject({ seq: sent.length + 2, body: 'after' });
  });

  test('SEND_RATE_PER_SECOND=0 turns it off', async () => {
    const { alice, roomId } = await roomOfTwo(unlimited);
    const results = await burst(unlimited, alice.token, roomId, 30);
    expect(results.map((r) => r.errors ?? [])).toEqual(range(1, 30).map(() => []));
    expect(await storedIds(unlimited, alice.token, roomId)).toHaveLength(30);
  });
});
