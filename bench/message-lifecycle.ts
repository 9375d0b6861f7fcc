import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { gql, signUp, type BenchUser } from './graphql-client';
import { percentiles, type BenchResults, type Percentiles } from './report';

/**
 * The benchmark's figures for messages that live on: searchMessages over the
 * messages historyReads stored, and addReaction's throughput beside
 * sendChat's, on the service and on the in-memory ceiling.
 */

export interface LifecycleResults {
  search: { storedMessages: number; requests: number; ms: Percentiles; queries: string } | null;
  /** Mutations per second, closed loop, `clients` at once for `seconds` each. */
  throughput: { clients: number; seconds: number; service: OpRates; memory: OpRates | null } | null;
}
export interface OpRates {
  sendChatPerSec: number;
  addReactionPerSec: number;
}

const SEARCH = 'query($q: String!) { searchMessages(query: $q, first: 20) { edges { cursor node { id seq body } } } }';

/**
 * Times searchMessages over the room with the most stored messages (historyReads'
 * 1,000,000 "message <n>" bodies), as a member added straight in SQL (setup, not
 * measured). Queries mix a word every message has with one only one has, and a rare word alone.
 */
export async function searchReads(gatewayUrl: string, databaseUrl: string): Promise<LifecycleResults['search']> {
  const user = await signUp(gatewayUrl);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let stored: number;
  try {
    const { rows } = await db.query('select id, last_seq from rooms order by last_seq desc limit 1');
    stored = Number(rows[0].last_seq);
    await db.query('insert into room_members (room_id, user_id, last_read_seq, joined_at) values ($1, $2, 0, now())', [rows[0].id, user.id]);
    await db.query('analyze messages');
  } finally {
    await db.end();
  }
  const query = (i: number) => (i % 2 === 0 ? `message ${1 + ((i * 7919) % stored)}` : `${1 + ((i * 104729) % stored)}`);
  for (let i = 0; i < 20; i++) await gql(gatewayUrl, SEARCH, { q: query(i) }, user.token); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < 500; i++) {
    const started = performance.now();
    await gql(gatewayUrl, SEARCH, { q: query(i) }, user.token);
    samples.push(performance.now() - started);
  }
  return { storedMessages: stored, requests: samples.length, ms: percentiles(samples), queries: '"message <n>" and "<n>", first: 20' };
}

const SEND = 'mutation($i: SendChatInput!) { sendChat(input: $i) { id } }';
const REACT = 'mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { version } }';
const UNREACT = 'mutation($m: ID!, $e: String!) { removeReaction(messageId: $m, emoji: $e) { version } }';
const EMOJI = ['👍', '❤️', '🎉', '😂', '😮', '😢', '🙏', '🔥', '👀', '✅'];

/** Runs `op(client, i)` in a closed loop on every client for `seconds`; the rate of completed operations. */
async function closedLoop(clients: BenchUser[], seconds: number, op: (client: BenchUser, c: number, i: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = 0; performance.now() < end; i++) {
        await op(client, c, i);
        done++;
      }
    }),
  );
  return done / seconds;
}

/** The two loops take turns this many times, so drift (autovacuum of the history step's table, say) hits both alike. */
const ROUNDS = 5;

/**
 * sendChat and addReaction, each in a closed loop of `clients` members of one
 * room for `seconds` in all, taking turns in ROUNDS slices (sendChat first:
 * reactions need messages). Each client alternates adding and removing one
 * emoji on the messages it sent, so every call is a real change (a version,
 * a write, an event).
 */
async function rates(url: string, clients: number, seconds: number): Promise<OpRates> {
  const owner = await signUp(url);
  const members = await Promise.all(Array.from({ length: clients - 1 }, () => signUp(url)));
  for (const m of members) await gql(url, 'mutation($u: ID!) { addFriend(userId: $u) { id } }', { u: m.id }, owner.token);
  const roomId = (await gql(url, 'mutation($m: [ID!]!) { createRoom(memberIds: $m) { id } }', { m: members.map((m) => m.id) }, owner.token))
    .createRoom.id as string;
  const all = [owner, ...members];
  const sent: string[][] = all.map(() => []);
  // Each client's last added reaction, taken back by its next call: every call is a change.
  const pending: ({ m: string; e: string } | null)[] = all.map(() => null);
  const adds = all.map(() => 0);
  let sendChatPerSec = 0;
  let addReactionPerSec = 0;
  for (let round = 0; round < ROUNDS; round++) {
    sendChatPerSec += await closedLoop(all, seconds / ROUNDS, async (client, c, i) => {
      const { sendChat } = await gql(url, SEND, { i: { roomId, body: `bench ${c} ${round} ${i}` } }, client.token);
      sent[c].push(sendChat.id);
    });
    /** Takes back client c's last added reaction; false when it has none. */
    const takeBack = async (client: BenchUser, c: number) => {
      const undo = pending[c];
      pending[c] = null;
      if (undo) await gql(url, UNREACT, undo, client.token);
      return undo !== null;
    };
    addReactionPerSec += await closedLoop(all, seconds / ROUNDS, async (client, c) => {
      if (await takeBack(client, c)) return;
      const k = adds[c]++;
      const reaction = { m: sent[c][k % sent[c].length], e: EMOJI[k % EMOJI.length] };
      pending[c] = reaction;
      await gql(url, REACT, reaction, client.token);
    });
    // A reaction added as the slice ended is taken back outside the measure.
    await Promise.all(all.map((client, c) => takeBack(client, c)));
  }
  // Both loops count completed mutations; addReaction and removeReaction cost the same.
  return { sendChatPerSec: sendChatPerSec / ROUNDS, addReactionPerSec: addReactionPerSec / ROUNDS };
}

export async function reactionThroughput(
  serviceUrl: string,
  memoryUrl: string | null,
  clients: number,
  seconds: number,
): Promise<LifecycleResults['throughput']> {
  const service = await rates(serviceUrl, clients, seconds);
  const memory = memoryUrl ? await rates(memoryUrl, clients, seconds) : null;
  return { clients, seconds, service, memory };
}

/** The targets of issue 16, judged beside the others. */
export function lifecycleTargets({ search, throughput }: LifecycleResults): BenchResults['targets'] {
  return [
    {
      name: `searchMessages p99 with ${search?.storedMessages.toLocaleString('en') ?? 0} stored`,
      target: '≤ 20 ms (1,000,000 messages)',
      measured: search ? `${search.ms.p99.toFixed(1)} ms (p50 ${search.ms.p50.toFixed(1)} ms)` : 'not measured',
      met: !!search && search.storedMessages >= 1_000_000 && search.ms.p99 <= 20,
      note: search ? `queries ${search.queries}` : '',
    },
    reactionTarget(throughput),
  ];
}

/** addReaction's throughput against sendChat's (issue 16), also judged alone by `--only reactions`. */
export function reactionTarget(throughput: LifecycleResults['throughput']): BenchResults['targets'][number] {
  const ratio = throughput ? throughput.service.sendChatPerSec / throughput.service.addReactionPerSec : null;
  const memory = throughput?.memory;
  return {
    name: `addReaction throughput against sendChat (closed loop, ${throughput?.clients ?? 0} clients)`,
    target: 'sendChat/addReaction ≤ 1.2',
    measured: throughput
      ? `${Math.round(throughput.service.addReactionPerSec)}/s vs ${Math.round(throughput.service.sendChatPerSec)}/s (${ratio!.toFixed(2)}×)`
      : 'not measured',
    met: ratio !== null && ratio <= 1.2,
    note: memory ? `in-memory ceiling: ${Math.round(memory.addReactionPerSec)}/s vs ${Math.round(memory.sendChatPerSec)}/s` : '',
  };
}
