import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startApp, type App, type Role } from '../src/app';
import { loadConfig, type Config } from '../src/config';
import { createLogger, type Logger } from '../src/log';

/** A fresh topic prefix per test file: its own topics and consumer groups. */
export function uniquePrefix(name: string): string {
  return `t.${name}.${randomUUID().slice(0, 8)}`;
}

export function testConfig(prefix: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      DATABASE_URL: process.env.DATABASE_URL,
      JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '3',
      KAFKA_EVENT_PARTITIONS: '3',
      KAFKA_REPLY_PARTITIONS: '3',
      PORT: '0',
      // Every test client comes from 127.0.0.1: per-address limits would throttle the whole suite as one client.
      SIGN_UP_RATE_PER_ADDRESS: '0',
      LOGIN_RATE_PER_ADDRESS: '0',
      REQUEST_RATE_PER_ADDRESS: '0',
      WS_SOCKETS_PER_ADDRESS: '0',
      // Tests set up many friendships and rooms at once; a test of the social limit sets it.
      SOCIAL_RATE_PER_MINUTE: '0',
      ...env,
    },
    () => undefined,
  );
}

export function startTestApp(config: Config, roles: Role[]): Promise<App> {
  return startApp(config, roles, createLogger(`test-${roles.join('+')}`, true));
}

type Pending = undefined | null | false;

/** Polls `check` until it returns something other than undefined, null or false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Pending | Promise<T | Pending>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface GqlError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}
export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: GqlError[];
}

/** One GraphQL request over HTTP, as a client would send it. */
export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as Omit<GqlResult<T>, 'status'>) };
}

/** The data of a request that must succeed; a failure shows the errors the client got. */
export async function gqlOk<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const result = await gql<T>(url, query, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** The first error of a request that must fail; a success fails the test and shows the data. */
export async function gqlError(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlError> {
  const result = await gql(url, query, variables, token);
  if (!result.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
  return result.errors[0];
}

/** One query or mutation over an open graphql-ws client; GraphQL errors come back in `errors`. */
export function wsExecute<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult<T>> {
  return new Promise((resolve, reject) => {
    let last: GqlResult<T> = { status: 0 };
    client.subscribe<T>(
      { query, variables },
      {
        next: ({ data, errors }) => void (last = { status: 0, data: data ?? undefined, errors: errors as GqlError[] | undefined }),
        error: (err) => (Array.isArray(err) ? resolve({ status: 0, errors: err as GqlError[] }) : reject(err)),
        complete: () => resolve(last),
      },
    );
  });
}

/** One query or mutation over a graphql-ws connection of its own, as a WebSocket client would send it. */
export async function wsRequest<T = any>(httpUrl: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult<T>> {
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  try {
    return await wsExecute<T>(client, query, variables);
  } finally {
    await client.dispose();
  }
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

/**
 * The service of one test file: a worker and its gateways over topics of
 * their own (as when several gateways run), started before the file's tests
 * and stopped after them together with the watchers they opened. Call it at
 * the top level of the file; the apps exist once beforeAll ran.
 * `gateways` is how many gateways, all configured with `gatewayEnv`
 * (SEND_RATE_PER_SECOND: '0' for bulk sends), or one environment per gateway.
 */
export function serviceForThisFile(name: string, gateways: number | Record<string, string>[] = 1, gatewayEnv: Record<string, string> = {}) {
  const envs = typeof gateways === 'number' ? Array.from({ length: gateways }, () => gatewayEnv) : gateways;
  const prefix = uniquePrefix(name);
  const watchers: RoomWatcher[] = [];
  const service = {
    worker: null as App | null,
    gateways: [] as App[],
    get urls(): string[] {
      return service.gateways.map((g) => g.gateway!.url);
    },
    /** A graphql-ws client on `url`, closed after the file's tests. */
    watcher(url: string, token: string | null): RoomWatcher {
      const w = new RoomWatcher(url, token);
      watchers.push(w);
      return w;
    },
  };
  beforeAll(async () => {
    service.worker = await startTestApp(testConfig(prefix), ['worker']);
    service.gateways = await Promise.all(envs.map((env) => startTestApp(testConfig(prefix, env), ['gateway'])));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.close()));
    await Promise.all(service.gateways.map((g) => g.stop()));
    await service.worker?.stop();
  });
  return service;
}

/** Alice (on `urlA`) and Bob (on `urlB`), friends, in a room of their own. */
export async function roomOfTwo(urlA: string, urlB = urlA): Promise<{ alice: TestUser; bob: TestUser; roomId: string }> {
  const alice = await signUp(urlA, 'alice');
  const bob = await signUp(urlB, 'bob');
  await befriend(urlA, alice, bob);
  const roomId = await createRoom(urlA, alice, [bob]);
  return { alice, bob, roomId };
}

/** The password of every user the tests sign up. */
export const TEST_PASSWORD = 'correct horse battery';

export async function signUp(url: string, name = 'user'): Promise<TestUser> {
  const username = `${name}_${randomUUID().slice(0, 8)}`;
  const data = await gqlOk(url, 'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id username } } }', {
    input: { username, password: TEST_PASSWORD, displayName: name },
  });
  return { id: data.signUp.user.id, username, token: data.signUp.token };
}

export async function befriend(url: string, a: TestUser, b: TestUser): Promise<void> {
  await gqlOk(url, 'mutation($id: ID!) { addFriend(userId: $id) { id } }', { id: b.id }, a.token);
}

export async function createRoom(url: string, owner: TestUser, members: TestUser[], name = 'room'): Promise<string> {
  const data = await gqlOk(
    url,
    'mutation($name: String, $ids: [ID!]!) { createRoom(name: $name, memberIds: $ids) { id } }',
    { name, ids: members.map((m) => m.id) },
    owner.token,
  );
  return data.createRoom.id;
}

export const SEND_CHAT = `mutation($input: SendChatInput!) {
  sendChat(input: $input) { id seq body clientMessageId sender { id username } }
}`;

export const ROOM_MESSAGES = `subscription($roomId: ID!, $afterSeq: Int) {
  roomMessages(roomId: $roomId, afterSeq: $afterSeq) { id seq kind body bookmarked sender { id } }
}`;

export interface LiveMessage {
  id: string;
  seq: number;
  kind: 'TEXT' | 'FILE' | 'SYSTEM';
  body: string;
  bookmarked: boolean;
  sender: { id: string } | null;
}

/** A graphql-ws client subscribed to one room, recording what arrives and how it ends. */
export class RoomWatcher {
  readonly messages: LiveMessage[] = [];
  errors: GqlError[] | null = null;
  completed = false;
  closeCode: number | null = null;
  private readonly client: Client;
  private unsubscribe: (() => void) | null = null;

  constructor(httpUrl: string, token: string | null) {
    this.client = createClient({
      url: httpUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: true,
      on: { closed: (event) => void (this.closeCode = (event as { code: number }).code) },
    });
  }

  watch(roomId: string, afterSeq: number | null): this {
    this.unsubscribe = this.client.subscribe<{ roomMessages: LiveMessage }>(
      { query: ROOM_MESSAGES, variables: { roomId, afterSeq } },
      {
        next: ({ data, errors }) => {
          if (data) this.messages.push(data.roomMessages);
          if (errors) this.errors = errors as GqlError[];
        },
        error: (err) => {
          this.errors = Array.isArray(err) ? (err as GqlError[]) : [{ message: String((err as Error).message ?? err) }];
        },
        complete: () => void (this.completed = true),
      },
    );
    return this;
  }

  get seqs(): number[] {
    return this.messages.map((m) => m.seq);
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.client.dispose();
  }
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every entry (and prints warnings and errors like the test logger), for tests of what operators are told. */
export function recordingLogger(name: string): Logger & { entries: LogEntry[] } {
  const printed = createLogger(name, true);
  const entries: LogEntry[] = [];
  const record = (level: LogEntry['level']) => (msg: string, fields: Record<string, unknown> = {}) => {
    entries.push({ level, msg, fields });
    printed[level](msg, fields);
  };
  return { entries, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}
