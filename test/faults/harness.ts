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
  at: number;
  startedAt: number;
}

const SEND = 'mutation($input: SendChatInput!) { sendChat(input: $input) { seq } }';
const MAX_ATTEMPTS = 120;

/**
 * Senders issuing sendChat as a careful client does: a request that failed or
 * timed out is sent again with the same clientMessageId (to another gateway
 * if the one it used is gone) until it is acknowledged, a bounded number of
 * times. Progress goes to `onAck`.
 */
export class Burst {
  readonly acks: Ack[] = [];
  readonly unacknowledged: string[] = [];
  readonly refused: string[] = [];
  retries = 0;
  private readonly urls: string[];

  constructor(
    private readonly world: ChatWorld,
    urls: string[],
    private readonly total: number,
  ) {
    this.urls = [...urls];
  }

  /** Stop using a gateway that is known to be gone. */
  dropUrl(url: string): void {
    const i = this.urls.indexOf(url);
    if (i >= 0 && this.urls.length > 1) this.urls.splice(i, 1);
  }

  async run(): Promise<void> {
    const perSender = Math.ceil(this.total / this.world.senders.length);
    let remaining = this.total;
    await Promise.all(
      this.world.senders.map(async (user, s) => {
        for (let i = 0; i < perSender && remaining > 0; i++) {
          remaining--;
          const roomId = this.world.rooms[(s + i) % this.world.rooms.length];
          await this.sendReliably(user, roomId, `${s}-${i}`, s);
        }
      }),
    );
  }

  private async sendReliably(user: TestUser, roomId: string, clientMessageId: string, s: number): Promise<void> {
    const startedAt = Date.now();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const url = this.urls[(s + attempt) % this.urls.length];
      try {
        const result = await gql(url, SEND, { input: { roomId, body: `m ${clientMessageId}`, clientMessageId } }, user.token);
        if (result.data?.sendChat) {
          this.acks.push({ roomId, clientMessageId, seq: result.data.sendChat.seq, at: Date.now(), startedAt });
          return;
        }
        const code = result.errors?.[0]?.extensions?.code;
        if (code !== 'SERVICE_UNAVAILABLE' && code !== 'INTERNAL_SERVER_ERROR') {
          this.refused.push(`${clientMessageId}: ${JSON.stringify(result.errors)}`);
          return;
        }
      } catch {
        // the gateway is gone or the connection broke: try again, elsewhere
      }
      this.retries++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** Math.min(attempt, 4), 1_000)));
    }
    this.unacknowledged.push(clientMessageId);
  }

  /** Seconds from `since` until a request started after it was acknowledged. */
  recoverySeconds(since: number): number | null {
    const after = this.acks.filter((a) => a.startedAt >= since).map((a) => a.at);
    return after.length ? (Math.min(...after) - since) / 1000 : null;
  }
}

const WATCH = 'subscription($roomId: ID!, $afterSeq: Int) { roomMessages(roomId: $roomId, afterSeq: $afterSeq) { seq } }';

/**
 * A subscriber of one room that records every seq it is sent. When its
 * socket closes (its gateway died), it subscribes again on the next gateway
 * with afterSeq = the last seq it saw, as a chat app does.
 */
export class Subscriber {
  readonly seqs: number[] = [];
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

  get lastSeq(): number {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  connect(): void {
    if (this.closed) return;
    const client = createClient({
      url: this.urls[this.urlIndex].replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.user.token}` },
      retryAttempts: 0,
      on: { closed: (event) => void this.closeCodes.push((event as { code: number }).code) },
    });
    this.client = client;
    let resubscribed = false;
    const again = () => {
      if (resubscribed || this.closed) return;
      resubscribed = true;
      void client.dispose();
      this.reconnects++;
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      setTimeout(() => this.connect(), 200);
    };
    client.subscribe<{ roomMessages: { seq: number } }>(
      { query: WATCH, variables: { roomId: this.roomId, afterSeq: this.lastSeq } },
      { next: ({ data }) => data && this.seqs.push(data.roomMessages.seq), error: again, complete: again },
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
  lost: number;
  recoverySeconds: number | null;
  seconds: number;
}

/**
 * Checks everything against PostgreSQL: each acknowledged message is stored
 * once under its clientMessageId with the seq it was acknowledged with; seqs
 * of every room are 1..lastSeq; every subscriber got every seq of its room
 * once and in order (waited for, bounded).
 */
export async function verify(databaseUrl: string, world: ChatWorld, burst: Burst, subscribers: Subscriber[]) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const rows = (
      await db.query<{ room_id: string; seq: number; client_message_id: string | null }>(
        'select room_id, seq, client_message_id from messages where room_id = any($1) order by room_id, seq',
        [world.rooms],
      )
    ).rows;
    const { rows: roomRows } = await db.query<{ id: string; last_seq: number }>('select id, last_seq from rooms where id = any($1)', [world.rooms]);
    const lastSeq = new Map(roomRows.map((r) => [r.id, r.last_seq]));

    const stored = new Map<string, number[]>();
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
      stored.set(key, [...(stored.get(key) ?? []), row.seq]);
    }
    const storedDuplicates = [...stored.values()].filter((seqs) => seqs.length > 1).length;
    const lost = burst.acks.filter((a) => {
      const seqs = stored.get(`${a.roomId}/${a.clientMessageId}`);
      return !seqs || seqs[0] !== a.seq;
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
      for (const seq of s.seqs) {
        if (seen.has(seq)) deliveryDuplicates++;
        seen.add(seq);
      }
      for (let seq = 1; seq <= expected; seq++) if (!seen.has(seq)) deliveryGaps++;
      // Out of order counts as a gap too: the client would have shown a message before its predecessor.
      if (!s.seqs.every((seq, i) => i === 0 || seq > s.seqs[i - 1])) deliveryGaps++;
    }
    return {
      stored: rows.length,
      delivered: subscribers.reduce((n, s) => n + s.seqs.length, 0),
      duplicates: storedDuplicates + deliveryDuplicates,
      gaps: gaps + deliveryGaps,
      lost: lost + burst.unacknowledged.length,
    };
  } finally {
    await db.end();
  }
}

/** Resolves once `burst` has this many acknowledgements (bounded). */
export function whenAcked(burst: Burst, count: number): Promise<unknown> {
  return waitFor(`${count} acknowledged messages`, () => burst.acks.length >= count, 120_000);
}

export function reliabilityReport(figures: Figures[], env: string): string {
  const rows = figures.map(
    (f) =>
      `| ${f.fault} | ${f.sent} | ${f.acknowledged} | ${f.stored} | ${f.delivered} | ${f.lost} | ${f.duplicates} | ${f.gaps} | ${f.recoverySeconds === null ? 'n/a' : f.recoverySeconds.toFixed(1)} | ${f.seconds.toFixed(0)} |`,
  );
  return [
    '| fault | sent | acknowledged | stored | delivered | lost | duplicates | gaps | recovery (s) | run (s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    env,
  ].join('\n');
}
