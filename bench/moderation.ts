import { Client } from 'pg';
import { startProcess } from '../src/dev/processes';
import { gql, signUp, timedSendChat } from './graphql-client';
import { percentiles, type Percentiles } from './report';

/** What the moderation step of `npm run bench` measures. */
export interface ModerationFigures {
  floods: number;
  /** From a flood's message over the threshold (its createdAt) to the worker's mute (the decision's created_at). */
  floodToMuteMs: Percentiles;
  /** The moderator's consumer lag (records behind the end of the events topic, all partitions), sampled while the floods ran. */
  lagSamples: Percentiles;
  lagMax: number;
  /** sendChat round trips (ms), one at a time, while the moderator runs and after it was stopped. */
  sendChatMs: { moderatorRunning: Percentiles; moderatorStopped: Percentiles };
}

const FLOOD_MESSAGES = 10;

/** The moderator's lag from its /metrics: chat_kafka_consumer_lag_messages{consumer="moderator"} summed over partitions. */
async function moderatorLag(metricsUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('chat_kafka_consumer_lag_messages{') && line.includes('consumer="moderator"')) sum += Number(line.split(' ').pop());
    }
    return sum;
  } catch {
    return null;
  }
}

/** Chatters per phase of the running/stopped comparison, and what each sends: below every rule's threshold. */
const CHATTERS = 30;
const SENDS_PER_CHATTER = FLOOD_MESSAGES;

/** sendChat round trips, one at a time, round-robin over the chatters (each in a room of its own), all different texts. */
async function sequentialSends(url: string, chatters: { token: string; roomId: string }[], phase: string): Promise<Percentiles> {
  const samples: number[] = [];
  for (let n = 0; n < SENDS_PER_CHATTER; n++) {
    for (const [i, c] of chatters.entries()) samples.push(await timedSendChat(url, c.token, { roomId: c.roomId, body: `${phase} ${i} ${n}` }));
  }
  return percentiles(samples);
}

/**
 * Starts a moderator process beside the running service, has `users` users
 * flood a room each at once (FLOOD_MESSAGES + 1 sends, as fast as the gateway
 * answers), and waits for every mute. Then compares sendChat's latency
 * while the moderator runs with its latency once it is stopped: chat must not
 * depend on it.
 */
export async function moderationBench(
  env: Record<string, string>,
  gatewayUrl: string,
  databaseUrl: string,
  users: number,
  progress: (line: string) => void,
): Promise<ModerationFigures> {
  const metricsPort = String(20_000 + Math.floor(Math.random() * 20_000));
  const moderator = await startProcess('moderator', {
    ...env,
    METRICS_PORT: metricsPort,
    MODERATION_FLOOD_MESSAGES: String(FLOOD_MESSAGES),
    // A whole minute: on a busy machine 11 sends in a row may take longer than the default 10 s.
    MODERATION_FLOOD_WINDOW_SECONDS: '60',
    MODERATION_MUTE_SECONDS: '3600',
  });
  progress(`moderation: moderator log ${moderator.logFile}`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const lags: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const lag = await moderatorLag(`http://127.0.0.1:${metricsPort}/metrics`);
      if (lag !== null) lags.push(lag);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  try {
    // One at a time: password hashing is bounded, and a burst of sign-ups is refused as BUSY.
    const flooders = [];
    for (let i = 0; i < users; i++) flooders.push(await signUp(gatewayUrl));
    const rooms = await Promise.all(flooders.map(async (u) => (await gql(gatewayUrl, 'mutation { createRoom(memberIds: []) { id } }', {}, u.token)).createRoom.id as string));
    progress(`moderation: ${users} users flood ${FLOOD_MESSAGES + 1} messages each`);
    await Promise.all(
      flooders.map(async (u, i) => {
        for (let n = 0; n <= FLOOD_MESSAGES; n++) {
          // A send that times out on a busy machine may still be applied; the flood goes on either way.
          await gql(gatewayUrl, 'mutation($i: SendChatInput!) { sendChat(input: $i) { id } }', { i: { roomId: rooms[i], body: `flood ${n}` } }, u.token).catch(
            () => undefined,
          );
        }
      }),
    );
    const ids = flooders.map((u) => u.id);
    // Floods whose sends were lost to timeouts may never fire: those are not waited for past the deadline.
    const deadline = Date.now() + 60_000;
    let rows: { ms: number }[] = [];
    for (;;) {
      rows = (
        await db.query(
          `select extract(epoch from (created_at - evidence_at)) * 1000 as ms from moderation_decisions where rule = 'flood' and user_id = any($1::uuid[])`,
          [ids],
        )
      ).rows.map((r: { ms: string }) => ({ ms: Number(r.ms) }));
      if (rows.length >= users || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const figures = { floods: rows.length, floodToMuteMs: percentiles(rows.map((r) => r.ms)), lagSamples: percentiles(lags), lagMax: Math.max(0, ...lags) };
    sampling = false;
    const chatters = [];
    for (let i = 0; i < CHATTERS; i++) {
      const user = await signUp(gatewayUrl);
      chatters.push({ token: user.token, roomId: (await gql(gatewayUrl, 'mutation { createRoom(memberIds: []) { id } }', {}, user.token)).createRoom.id as string });
    }
    progress(`moderation: ${CHATTERS * SENDS_PER_CHATTER} sendChat one at a time with the moderator running, then as many with it stopped`);
    const moderatorRunning = await sequentialSends(gatewayUrl, chatters, 'running');
    await moderator.stop();
    const moderatorStopped = await sequentialSends(gatewayUrl, chatters, 'stopped');
    return { ...figures, sendChatMs: { moderatorRunning, moderatorStopped } };
  } finally {
    sampling = false;
    await sampler;
    await db.end();
    await moderator.stop();
  }
}
