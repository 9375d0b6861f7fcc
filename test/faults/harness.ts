import { Client } from 'pg';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ServiceProcess, startProcess as startServiceProcess, type ProcessRole } from '../../src/dev/processes';
import { befriend, gql, signUp, waitFor, type TestUser } from '../support';

export { ServiceProcess };

/**
 * What the fault suite drives: the service as real processes (`node
 * dist/src/main.js gateway|worker`, built by `npm run test:faults`), clients
 * that behave as a careful chat app does (resend with the same
 * clientMessageId until acknowledged; resubscribe elsewhere with afterSeq),
 * and the checks of what was stored and delivered.
 */

export const JWT_SECRET = 'fault-suite-secret-fault-suite-secret-01';

/** Counts of the full suite and of the short form CI runs (FAULT_SCALE=short). */
export const SCALE =
  process.env.FAULT_SCALE === 'short'
    ? { name: 'short', messages: 1_000, senders: 20, rooms: 10, subscribers: 40, gatewaySubscribers: 60 }
    : { name: 'full', messages: 5_000, senders: 50, rooms: 20, subscribers: 40, gatewaySubscribers: 200 };

export interface ServiceEnv {
  KAFKA_BROKERS: string;
  DATABASE_URL: string;
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_REPLICATION_FACTOR?: string;
  KAFKA_MIN_INSYNC_REPLICAS?: string;
}

/** One role of the service as a real process, configured for the fault suite. */
export function startProcess(role: ProcessRole, env: ServiceEnv): Promise<ServiceProcess> {
  // SEND_RATE_PER_SECOND=0: each sender sends as fast as it can (and resends), which the per-user limit would refuse.
  // Every client comes from 127.0.0.1, which the per-address limits would take for one client.
  return startServiceProcess(role, {
    ...env,
    JWT_SECRET,
    KAFKA_PARTITIONS: '6',
    COMMAND_TIMEOUT_MS: '5000',
    SEND_RATE_PER_SECOND: '0',
    SIGN_UP_RATE_PER_ADDRESS: '0',
    LOGIN_RATE_PER_ADDRESS: '0',
    REQUEST_RATE_PER_ADDRESS: '0',
    WS_SOCKETS_PER_ADDRESS: '0',
    // Each scenario befriends and puts in rooms many users at once.
    SOCIAL_RATE_PER_MINUTE: '0',
  });
}

/** The users and rooms of one scenario: every sender is a member of every room. */
export interface ChatWorld {
  senders: TestUser[];
  rooms: string[];
}

export async function buildWorld(url: string, senders: number, rooms: number): Promise<ChatWorld> {
  const owner = await signUp(url, 'owner');
  const others: TestUser[] = [];
  for (let i = 1; i < senders; i += 10) {
    others.push(...(await Promise.all(Array.from({ length: Math.min(10, senders - i) }, (_, k) => signUp(url, `s${i + k}`)))));
  }
  for (let i = 0; i < others.length; i += 10) await Promise.all(others.slice(i, i + 10).map((o) => befriend(url, owner, o)));
  const roomIds: string[] = [];
  for (let r = 0; r < rooms; r++) {
    const data = await gql(url, 'mutation($ids: [ID!]!, $n: String) { createRoom(memberIds: $ids, name: $n) { id } }', { ids: others.map((o) => o.id), n: `room ${r}` }, owner.token);
    if (!data.data) throw new Error(`createRoom failed: ${JSON.stringify(data.errors)}`);
    roomIds.push(data.data.createRoom.id);
  }
  return { senders: [owner, ...others], rooms: roomIds };
}

export interface Ack {
  roomId: string;
  clientMessageId: string;
  seq: number;
  /** The message's id as the acknowledgement gave it. */
  id: string;
  at: number;
  /** When the message was first sent. */
  startedAt: number;
  /** When the request that was acknowledged was sent (the last attempt). */
  attemptAt: number;
}

const SEND = 'mutation($input: SendChatInput!) { sendChat(input: $input) { id seq clientMessageId } }';
const MAX_ATTEMPTS = 120;

export interface BurstOptions {
  /** How long a client waits for an answer before it gives up on a request and resends it elsewhere. */
  requestTimeoutMs?: number;
  /** Every n-th message is sent to two gateways at once with the same clientMessageId (0: none). */
  twinsEvery?: number;
}

type Attempt = { ok: { id: string; seq: number } } | { retry: 'unavailable' | 'no answer' } | { refused: string };

/**
 * Senders issuing sendChat as a careful client does: a request that failed or
 * was not answered within the client's request timeout is sent again with the
 * same clientMessageId until it is acknowledged, a bounded number of times.
 * Each sender keeps to the gateway that last answered it and moves to the
 * next one when a request gets no answer. Some messages can be sent as
 * deliberate twins: to two gateways at once, with the same clientMessageId.
 */
export class Burst {
  readonly acks: Ack[] = [];
  readonly unacknowledged: string[] = [];
  readonly refused: string[] = [];
  /** Requests sent again because the service answered SERVICE_UNAVAILABLE (outcome unknown). */
  retries = 0;
  /** Requests sent again, to another gateway, because no answer came (client timeout, broken connection). */
  resends = 0;
  /** Twins sent, and those whose two acknowledgements named different messages. */
  twins = 0;
  readonly twinMismatches: string[] = [];
  private readonly urls: string[];
  private stopped = false;
  private readonly requestTimeoutMs: number;
  private readonly twinsEvery: number;

  constructor(
    private readonly world: ChatWorld,
    urls: string[],
    private readonly total: number,
    options: BurstOptions = {},
  ) {
    this.urls = [...urls];
    // Longer than the service's own bound (COMMAND_TIMEOUT_MS 5 s), after which it answers SERVICE_UNAVAILABLE.
    this.requestTimeoutMs = options.requestTimeoutMs ?? 6_000;
    this.twinsEvery = options.twinsEvery ?? 0;
  }

  /** Sends nothing more (a scenario that failed must not leave its clients running). */
  stop(): void {
    this.stopped = true;
  }

  /** Stop using a gateway that is known to be gone. */
  dropUrl(url: string): void {
    const i = this.urls.indexOf(url);
    if (i >= 0 && this.urls.length > 1) this.urls.splice(i, 1);
  }

  async run(): Promise<void> {
    const perSender = Math.ceil(this.total / this.world.senders.length);
    let remaining = this.total;
    let sent = 0;
    await Promise.all(
      this.world.senders.map(async (user, s) => {
        const sender = { user, prefer: s };
        for (let i = 0; i < perSender && remaining > 0 && !this.stopped; i++) {
          remaining--;
          const roomId = this.world.rooms[(s + i) % this.world.rooms.length];
          const clientMessageId = `${s}-${i}`;
          if (this.twinsEvery > 0 && ++sent % this.twinsEvery === 0 && this.urls.length > 1) await this.sendTwins(sender, roomId, clientMessageId);
          else {
            const ack = await this.sendReliably(sender, roomId, clientMessageId);
            if (ack) this.acks.push(ack);
          }
        }
      }),
    );
  }

  /** The same message to two gateways at once: both must be acknowledged with the same message. */
  private async sendTwins(sender: { user: TestUser; prefer: number }, roomId: string, clientMessageId: string): Promise<void> {
    this.twins++;
    const [a, b] = await Promise.all([
      this.sendReliably(sender, roomId, clientMessageId),
      this.sendReliably({ user: sender.user, prefer: sender.prefer + 1 }, roomId, clientMessageId),
    ]);
    if (a && b && (a.id !== b.id || a.seq !== b.seq)) this.twinMismatches.push(`${clientMessageId}: ${a.id}/${a.seq} vs ${b.id}/${b.seq}`);
    const first = a && b ? (a.at <= b.at ? a : b) : (a ?? b);
    if (first) this.acks.push(first);
  }

  private async attempt(url: string, user: TestUser, roomId: string, clientMessageId: string): Promise<Attempt> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body: JSON.stringify({ query: SEND, variables: { input: { roomId, body: `m ${clientMessageId}`, clientMessageId } } }),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      const result = (await res.json()) as { data?: { sendChat?: { id: string; seq: number } }; errors?: { extensions?: { code?: string } }[] };
      if (result.data?.sendChat) return { ok: result.data.sendChat };
      const code = result.errors?.[0]?.extensions?.code;
      if (code === 'SERVICE_UNAVAILABLE' || code === 'INTERNAL_SERVER_ERROR') return { retry: 'unavailable' };
      return { refused: JSON.stringify(result.errors) };
    } catch {
      // No answer in time, or the gateway is gone or the connection broke.
      return { retry: 'no answer' };
    }
  }

  private async sendReliably(sender: { user: TestUser; prefer: number }, roomId: string, clientMessageId: string): Promise<Ack | null> {
    const startedAt = Date.now();
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !this.stopped; attempt++) {
      const url = this.urls[sender.prefer % this.urls.length];
      const attemptAt = Date.now();
      const result = await this.attempt(url, sender.user, roomId, clientMessageId);
      if ('ok' in result) return { roomId, clientMessageId, seq: result.ok.seq, id: result.ok.id, at: Date.now(), startedAt, attemptAt };
      if ('refused' in result) {
        this.refused.push(`${clientMessageId}: ${result.refused}`);
        return null;
      }
      if (result.retry === 'no answer') {
        this.resends++;
        sender.prefer++;
      } else this.retries++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** Math.min(attempt, 4), 1_000)));
    }
    this.unacknowledged.push(clientMessageId);
    return null;
  }

  /** Messages sent by probe() besides the burst. */
  probes = 0;

  /**
   * One message more, sent to this gateway only (to see that it serves), with
   * the bounded resends of the burst; counted among the acknowledgements.
   */
  async probe(url: string, roomId: string): Promise<Ack | null> {
    const clientMessageId = `probe-${++this.probes}`;
    const user = this.world.senders[0];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const attemptAt = Date.now();
      const result = await this.attempt(url, user, roomId, clientMessageId);
      if ('ok' in result) {
        const ack = { roomId, clientMessageId, seq: result.ok.seq, id: result.ok.id, at: Date.now(), startedAt: attemptAt, attemptAt };
        this.acks.push(ack);
        return ack;
      }
      if ('refused' in result) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    this.unacknowledged.push(clientMessageId);
    return null;
  }

  /**
   * Seconds from `since` until every room had acknowledged a request sent
   * after `since` (null when some room had none before the burst ended).
   */
  recoverySeconds(since: number): number | null {
    let latest = since;
    for (const roomId of this.world.rooms) {
      const after = this.acks.filter((a) => a.roomId === roomId && a.attemptAt >= since).map((a) => a.at);
      if (after.length === 0) return null;
      latest = Math.max(latest, Math.min(...after));
    }
    return (latest - since) / 1000;
  }
}

const WATCH = 'subscription($roomId: ID!, $afterSeq: Int) { roomMessages(roomId: $roomId, afterSeq: $afterSeq) { id seq clientMessageId } }';
/** Reconnects one subscriber may make before it gives up (what it then misses shows as gaps). */
const MAX_RECONNECTS = 30;
/** A gateway that does not answer a ping within this is taken for gone (frozen, or its host cut off). */
const PONG_TIMEOUT_MS = 5_000;

export interface Delivered {
  seq: number;
  id: string;
  clientMessageId: string | null;
}

/**
 * A subscriber of one room that records every message it is sent. When its
 * socket closes (its gateway died) or its gateway stops answering pings (it
 * is frozen), it subscribes again on the next gateway with afterSeq = the
 * last seq it saw, as a chat app does, a bounded number of times.
 */
export class Subscriber {
  readonly delivered: Delivered[] = [];
  /** How its sockets were closed by the server, e.g. 1001 when a gateway drains. */
  readonly closeCodes: number[] = [];
  reconnects = 0;
  private client: WsClient | null = null;
  private closed = false;
  private urlIndex: number;

  constructor(
    private readonly urls: string[],
    private readonly user: TestUser,
    readonly roomId: string,
    index: number,
  ) {
    this.urlIndex = index % urls.length;
  }

  /** The gateway it is subscribed through now. */
  get url(): string {
    return this.urls[this.urlIndex];
  }

  get seqs(): number[] {
    return this.delivered.map((d) => d.seq);
  }

  get lastSeq(): number {
    return this.delivered.length ? this.delivered[this.delivered.length - 1].seq : 0;
  }

  connect(): void {
    if (this.closed) return;
    let pongWait: NodeJS.Timeout | undefined;
    const client = createClient({
      url: this.urls[this.urlIndex].replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.user.token}` },
      retryAttempts: 0,
      keepAlive: PONG_TIMEOUT_MS,
      on: {
        // A ping unanswered in time: the gateway is frozen or unreachable; terminate() fails the subscription at once.
        ping: (received) => {
          if (!received) pongWait = setTimeout(() => client.terminate(), PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongWait);
        },
        closed: (event) => {
          clearTimeout(pongWait);
          this.closeCodes.push((event as { code: number }).code);
        },
      },
    });
    this.client = client;
    let resubscribed = false;
    const again = () => {
      if (resubscribed || this.closed) return;
      resubscribed = true;
      clearTimeout(pongWait);
      void client.dispose();
      if (++this.reconnects > MAX_RECONNECTS) return;
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      setTimeout(() => this.connect(), 200);
    };
    client.subscribe<{ roomMessages: Delivered }>(
      { query: WATCH, variables: { roomId: this.roomId, afterSeq: this.lastSeq } },
      { next: ({ data }) => data && this.delivered.push(data.roomMessages), error: again, complete: again },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.dispose();
  }
}

export function subscribe(urls: string[], world: ChatWorld, count: number): Subscriber[] {
  const subscribers = Array.from({ length: count }, (_, i) => new Subscriber(urls, world.senders[i % world.senders.length], world.rooms[i % world.rooms.length], i));
  for (const s of subscribers) s.connect();
  return subscribers;
}

/** What a scenario proves, as docs/reliability.md reports it. */
export interface Figures {
  fault: string;
  sent: number;
  acknowledged: number;
  stored: number;
  delivered: number;
  duplicates: number;
  gaps: number;
  /** An acknowledgement, a twin or a delivered seq that named another message (id or clientMessageId) than the one stored. */
  wrong: number;
  lost: number;
  retries: number;
  resends: number;
  recoverySeconds: number | null;
  seconds: number;
}

/**
 * Checks everything against PostgreSQL: each acknowledged message is stored
 * once under its clientMessageId with the seq and id it was acknowledged
 * with; seqs of every room are 1..lastSeq; every subscriber got every seq of
 * its room once and in order, each as the message stored under that seq
 * (same id and clientMessageId), waited for, bounded.
 */
export async function verify(databaseUrl: string, world: ChatWorld, burst: Burst, subscribers: Subscriber[]) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const rows = (
      await db.query<{ id: string; room_id: string; seq: number; client_message_id: string | null }>(
        'select id, room_id, seq, client_message_id from messages where room_id = any($1) order by room_id, seq',
        [world.rooms],
      )
    ).rows;
    const { rows: roomRows } = await db.query<{ id: string; last_seq: number }>('select id, last_seq from rooms where id = any($1)', [world.rooms]);
    const lastSeq = new Map(roomRows.map((r) => [r.id, r.last_seq]));
    const bySeq = new Map(rows.map((r) => [`${r.room_id}/${r.seq}`, r]));

    const stored = new Map<string, { seq: number; id: string }[]>();
    let gaps = 0;
    for (const roomId of world.rooms) {
      const seqs = rows.filter((r) => r.room_id === roomId).map((r) => r.seq);
      seqs.forEach((seq, i) => {
        if (seq !== i + 1) gaps++;
      });
      if (seqs.length !== lastSeq.get(roomId)) gaps++;
    }
    for (const row of rows) {
      const key = `${row.room_id}/${row.client_message_id}`;
      stored.set(key, [...(stored.get(key) ?? []), { seq: row.seq, id: row.id }]);
    }
    const storedDuplicates = [...stored.entries()].filter(([key, found]) => !key.endsWith('/null') && found.length > 1).length;
    let wrong = burst.twinMismatches.length;
    const lost = burst.acks.filter((a) => {
      const found = stored.get(`${a.roomId}/${a.clientMessageId}`);
      if (found && found[0].seq === a.seq && found[0].id !== a.id) wrong++;
      return !found || found[0].seq !== a.seq;
    }).length;

    // Subscribers catch up on their own; wait (bounded) until each has its room's last seq.
    await waitFor(
      'every subscriber to reach its room’s newest message',
      () => subscribers.every((s) => s.lastSeq >= (lastSeq.get(s.roomId) ?? 0)),
      60_000,
    ).catch(() => undefined); // what is missing then shows as gaps below
    let deliveryDuplicates = 0;
    let deliveryGaps = 0;
    for (const s of subscribers) {
      const expected = lastSeq.get(s.roomId) ?? 0;
      const seen = new Set<number>();
      for (const d of s.delivered) {
        if (seen.has(d.seq)) deliveryDuplicates++;
        seen.add(d.seq);
        const row = bySeq.get(`${s.roomId}/${d.seq}`);
        if (row && (row.id !== d.id || row.client_message_id !== d.clientMessageId)) wrong++;
      }
      for (let seq = 1; seq <= expected; seq++) if (!seen.has(seq)) deliveryGaps++;
      // Out of order counts as a gap too: the client would have shown a message before its predecessor.
      const seqs = s.seqs;
      if (!seqs.every((seq, i) => i === 0 || seq > seqs[i - 1])) deliveryGaps++;
    }
    return {
      stored: rows.length,
      delivered: subscribers.reduce((n, s) => n + s.delivered.length, 0),
      duplicates: storedDuplicates + deliveryDuplicates,
      gaps: gaps + deliveryGaps,
      wrong,
      lost: lost + burst.unacknowledged.length,
    };
  } finally {
    await db.end();
  }
}

/** Resolves once `burst` has this many acknowledgements (bounded). */
export function whenAcked(burst: Burst, count: number): Promise<unknown> {
  // Generous: on a machine loaded far past its cores, 30 % of a short burst once took over 120 s.
  return waitFor(`${count} acknowledged messages`, () => burst.acks.length >= count, 240_000);
}

export function reliabilityReport(figures: Figures[], env: string): string {
  const rows = figures.map(
    (f) =>
      `| ${f.fault} | ${f.sent} | ${f.acknowledged} | ${f.stored} | ${f.delivered} | ${f.lost} | ${f.duplicates} | ${f.gaps} | ${f.wrong} | ${f.retries} | ${f.resends} | ${f.recoverySeconds === null ? 'n/a' : f.recoverySeconds.toFixed(1)} | ${f.seconds.toFixed(0)} |`,
  );
  return [
    '| fault | sent | acknowledged | stored | delivered | lost | duplicates | gaps | wrong | retries | resends | recovery (s) | run (s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    env,
  ].join('\n');
}
