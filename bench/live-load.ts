import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { gql, signUp, type BenchUser } from './graphql-client';
import { percentiles, type Percentiles } from './report';

/**
 * The load generator of the live streams' benchmark (bench/live.ts), run as a
 * process of its own: the same chat load over one world, taking turns
 * between every subscriber holding roomMessages alone and every subscriber
 * holding roomEvents and each user myEvents on one of its sockets, while
 * each sender also types once a second; or idle connections each holding
 * roomEvents and myEvents.
 */
export type LiveJob =
  /** `seconds` of each kind in all, in `rounds` turns (roomMessages first), so drift (autovacuum after the steps before, say) hits both alike. */
  | { kind: 'compare'; url: string; rooms: number; subscribers: number; senders: number; ratePerSec: number; seconds: number; rounds: number }
  | { kind: 'idle'; url: string; connections: number };

const now = () => performance.now();
const progress = (line: string) => process.stderr.write(`[live-load] ${line}\n`);
const SEND = 'mutation($input: SendChatInput!) { sendChat(input: $input) { seq } }';
const TYPE = 'mutation($r: ID!) { setTyping(roomId: $r, typing: true) }';
const ROOM_MESSAGES = 'subscription($roomId: ID!) { roomMessages(roomId: $roomId) { body } }';
const ROOM_EVENTS = `subscription($roomId: ID!) { roomEvents(roomId: $roomId) {
  __typename ... on MessageAdded { message { body unreadBy } } ... on TypingChanged { typing } } }`;
const MY_EVENTS = 'subscription { myEvents { __typename ... on RoomChanged { room { id lastSeq unreadCount } } } }';

/** Users who are all members of all rooms (a room holds at most 100). */
async function buildWorld(url: string, userCount: number, roomCount: number): Promise<{ users: BenchUser[]; rooms: string[] }> {
  const users: BenchUser[] = [];
  for (let i = 0; i < userCount; i += 10) users.push(...(await Promise.all(Array.from({ length: Math.min(10, userCount - i) }, () => signUp(url)))));
  const [owner, ...others] = users;
  for (const other of others) await gql(url, 'mutation($id: ID!) { addFriend(userId: $id) { id } }', { id: other.id }, owner.token);
  const rooms: string[] = [];
  for (let r = 0; r < roomCount; r++) {
    rooms.push((await gql(url, 'mutation($ids: [ID!]!) { createRoom(memberIds: $ids) { id } }', { ids: others.map((o) => o.id) }, owner.token)).createRoom.id);
  }
  return { users, rooms };
}

const RESUBSCRIBE_ATTEMPTS = 10;

/**
 * graphql-ws's default wait before reconnecting doubles without a cap (64 s
 * by the seventh refusal): a chat app caps it, so a socket turned away a few
 * times in a connect storm is back within seconds, not minutes.
 */
const retryWait = (retries: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 8_000) + Math.random() * 1_000));

/** Why connections are not live: the close codes their sockets saw and the errors their subscriptions ended with. */
class Troubles {
  private readonly counts = new Map<string, number>();
  add(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }
  toString(): string {
    return [...this.counts].map(([what, n]) => `${what} ×${n}`).join(', ') || 'none';
  }
}

/**
 * `count` sockets, each with the room's stream (roomMessages, or roomEvents),
 * live once each has had a warm-up message. With `myEvents` 'each', every
 * socket also holds myEvents; with 'one per user', only each user's first
 * socket does, as a device holds one myEvents and the room it has open.
 */
async function open(
  url: string,
  count: number,
  users: BenchUser[],
  rooms: string[],
  live: boolean,
  myEvents: 'each' | 'one per user',
  onBody: (body: string) => void,
): Promise<Client[]> {
  const clients: Client[] = [];
  const warm = new Array<boolean>(count).fill(false);
  const troubles = new Troubles();
  for (let i = 0; i < count; i++) {
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${users[i % users.length].token}` },
      // As a chat app does: a socket the gateway turns away while it is busy (1013, say, when hundreds
      // connect at once and their token checks wait for the database) connects again after a backoff.
      retryAttempts: 10,
      retryWait,
      on: { closed: (event) => troubles.add(`closed ${(event as { code?: number }).code}`) },
    });
    /**
     * Subscribes; a retriable refusal (SUBSCRIPTIONS_BUSY while hundreds start at once) is tried again,
     * as a client does. graphql-ws hands an error thrown while subscribing as a result with `errors`,
     * then completes; an error of the stream later comes as an error.
     */
    const subscribe = (payload: { query: string; variables?: Record<string, unknown> }, next: (data: Record<string, any> | null | undefined) => void, attempt = 1) => {
      let refused = false;
      const refuse = (err: unknown) => {
        refused = true;
        const errors = Array.isArray(err) ? (err as { message?: string; extensions?: { code?: string; reason?: string; retriable?: boolean } }[]) : [];
        // The reason too: SERVICE_UNAVAILABLE is a busy set-up queue (SUBSCRIPTIONS_BUSY) or a database that did not answer.
        const reason = errors[0]?.extensions?.reason;
        const code = `${errors[0]?.extensions?.code ?? (err as { code?: number })?.code ?? 'error'}${reason ? ` (${reason})` : ''}`;
        if (errors.some((e) => e.extensions?.retriable) && attempt < RESUBSCRIBE_ATTEMPTS) {
          troubles.add(`retried ${code}`);
          setTimeout(() => subscribe(payload, next, attempt + 1), 500 * attempt);
        } else {
          troubles.add(`refused ${code}`);
          progress(`subscription refused: ${JSON.stringify(err).slice(0, 200)}`);
        }
      };
      client.subscribe<Record<string, any>>(payload, {
        next: ({ data, errors }) => (errors?.length ? refuse(errors) : next(data)),
        error: refuse,
        complete: () => void (refused || troubles.add('subscription completed')),
      });
    };
    subscribe({ query: live ? ROOM_EVENTS : ROOM_MESSAGES, variables: { roomId: rooms[i % rooms.length] } }, (data) => {
      const body = live ? (data?.roomEvents?.__typename === 'MessageAdded' ? data.roomEvents.message.body : null) : data?.roomMessages?.body;
      if (typeof body !== 'string') return;
      warm[i] = true;
      onBody(body);
    });
    if (live && (myEvents === 'each' || i < users.length)) subscribe({ query: MY_EVENTS }, () => undefined);
    clients.push(client);
  }
  const deadline = now() + 120_000;
  for (;;) {
    // Only the rooms that still have a cold subscriber get a warm-up message: a send to every room
    // each round would be a load of its own, above the one measured.
    const cold = new Set(warm.flatMap((w, i) => (w ? [] : [rooms[i % rooms.length]])));
    if (cold.size === 0) break;
    if (now() > deadline) {
      const live = warm.filter(Boolean).length;
      throw new Error(`only ${live} of ${count} connections became live in 120 s (${cold.size} rooms cold); sockets and subscriptions saw: ${troubles}`);
    }
    // A warm-up send that fails (busy while a thousand streams open) is sent again on the next round.
    await Promise.all([...cold].map((roomId) => gql(url, SEND, { input: { roomId, body: 'warm-up' } }, users[0].token).catch(() => undefined)));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  if (`${troubles}` !== 'none') progress(`${count} connections live; on the way their sockets and subscriptions saw: ${troubles}`);
  return clients;
}

/** What the runs of one kind measured, added up over the rounds. */
interface Measured {
  deliveries: number[];
  sent: number;
  typed: number;
  seconds: number;
}

/**
 * One run of the chat load at a fixed rate for `seconds`, its deliveries
 * added to `into`; with `live`, each sender also signals typing once a second.
 */
async function run(job: Extract<LiveJob, { kind: 'compare' }>, users: BenchUser[], rooms: string[], live: boolean, seconds: number, into: Measured): Promise<void> {
  const deliveries: number[] = [];
  const label = live ? 'roomEvents+myEvents' : 'roomMessages';
  // Every user is in every room and holds subscribers / users sockets: one myEvents each, not one per socket.
  const clients = await open(job.url, job.subscribers, users, rooms, live, 'one per user', (body) => {
    const dueAt = Number(body.split(' ')[1]);
    if (body.startsWith('m ')) deliveries.push(now() - dueAt);
  });
  progress(`${label}: ${job.subscribers} connections live`);
  const senders = users.slice(0, job.senders);
  // Each sender types once a second, the senders spread over the second as independent people are
  // (timers started together would send all 50 signals in the same millisecond, every second).
  const typingTimers: NodeJS.Timeout[] = [];
  if (live) {
    senders.forEach((s, i) => {
      const type = () => void gql(job.url, TYPE, { r: rooms[i % rooms.length] }, s.token).then(() => typed++, () => undefined);
      typingTimers.push(setTimeout(() => typingTimers.push(setInterval(type, 1000)), (1000 * i) / senders.length));
    });
  }
  let typed = 0;
  let sent = 0;
  const started = now();
  const end = started + seconds * 1000;
  const pending: Promise<void>[] = [];
  let n = 0;
  for (let due = started; due < end; due += 1000 / job.ratePerSec) {
    const wait = due - now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const i = n++;
    const dueAt = Math.min(due, now());
    pending.push(
      gql(job.url, SEND, { input: { roomId: rooms[i % rooms.length], body: `m ${dueAt}` } }, senders[i % senders.length].token).then(
        () => void sent++,
        () => undefined,
      ),
    );
  }
  await Promise.all(pending);
  into.seconds += (now() - started) / 1000;
  typingTimers.forEach(clearTimeout);
  const expected = sent * (job.subscribers / rooms.length);
  const until = now() + 5_000;
  while (deliveries.length < expected && now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  await Promise.all(clients.map((c) => c.dispose()));
  into.deliveries.push(...deliveries);
  into.sent += sent;
  into.typed += typed;
}

const figures = ({ deliveries, sent, typed, seconds }: Measured) => ({
  deliveryMs: percentiles(deliveries),
  sentPerSec: sent / seconds,
  typingPerSec: typed / seconds,
});

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as LiveJob;
  if (job.kind === 'idle') {
    const { users, rooms } = await buildWorld(job.url, 20, 10);
    process.stdout.write(`${JSON.stringify({ worldBuilt: true })}\n`);
    await new Promise((resolve) => process.stdin.once('data', resolve));
    const clients: Client[] = [];
    for (let opened = 0; opened < job.connections; opened += 500) {
      clients.push(...(await open(job.url, Math.min(500, job.connections - opened), users, rooms, true, 'each', () => undefined)));
      progress(`idle: ${clients.length}/${job.connections} connections live`);
    }
    process.stdout.write(`${JSON.stringify({ ready: clients.length })}\n`);
    await new Promise(() => undefined);
  }
  if (job.kind !== 'compare') return;
  const { users, rooms } = await buildWorld(job.url, Math.min(Math.max(job.senders, 20), 100), job.rooms);
  const measured = (): Measured => ({ deliveries: [], sent: 0, typed: 0, seconds: 0 });
  const roomMessages = measured();
  const withLive = measured();
  // One round of each first, not measured: a gateway started for this step alone is still compiling its hot paths.
  const warmUp = measured();
  await run(job, users, rooms, false, job.seconds / job.rounds, warmUp);
  await run(job, users, rooms, true, job.seconds / job.rounds, warmUp);
  for (let round = 0; round < job.rounds; round++) {
    await run(job, users, rooms, false, job.seconds / job.rounds, roomMessages);
    await run(job, users, rooms, true, job.seconds / job.rounds, withLive);
  }
  process.stdout.write(`${JSON.stringify({ roomMessages: figures(roomMessages), withLive: figures(withLive) })}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`[live-load] failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
