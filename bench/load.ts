import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import WebSocket from 'ws';
import { gql, signUp, type BenchUser } from './graphql-client';
import { percentiles, type Step } from './report';

/**
 * The load generator, run as its own process by bench/run.ts so its CPU is
 * not the service's. Reads a job from argv (JSON), reports progress on stderr
 * and its result as one JSON line on stdout.
 *
 * - `chat`: users, rooms and subscribers over graphql-ws on a GraphQL server
 *   (the real gateway, or the in-memory ceiling), then sendChat steps over
 *   HTTP: open loop at a given rate, then closed loop. Latency is measured
 *   from the moment a send was due (open loop), so a slow server cannot hide
 *   its queueing (coordinated omission).
 *   With `interactive`, it says `{"ready":true}` once its subscriptions are
 *   live and then runs one step per stdin line `{"step":i}` (warm-up first,
 *   `{"measuring":i}` when the measured part starts, `{"done":i,"step":…}`
 *   after it), so bench/run.ts can interleave targets and read CPU around
 *   each step; `{"quit":true}` ends it.
 * - `kafka`: the same steps as raw kafkajs produce → consume on the broker.
 * - `idle`: builds its users and rooms, waits for a line on stdin, opens idle
 *   subscriptions, says "ready" and holds them until killed.
 */

export interface StepPlan {
  /** sequential: one sender, the next send once the previous one returned. */
  mode: 'open' | 'closed' | 'sequential';
  ratePerSec?: number;
  seconds: number;
}

export type Job =
  | {
      kind: 'chat';
      target: 'service' | 'memory' | 'peer';
      url: string;
      rooms: number;
      subscribers: number;
      senders: number;
      steps: StepPlan[];
      interactive?: boolean;
      /** Before each measured step, the same load for this long, not counted (pools, JIT, caches warm). */
      warmSeconds?: number;
    }
  | { kind: 'kafka'; brokers: string[]; topic: string; senders: number; steps: StepPlan[] }
  | { kind: 'idle'; url: string; subscriptions: number };

const progress = (line: string) => process.stderr.write(`[load] ${line}\n`);
const now = () => performance.now();
/** Most requests in flight in an open loop; beyond it the step counts errors instead of piling up sockets. */
const MAX_IN_FLIGHT = 2_000;
/** After a step, how long deliveries may still arrive. */
const DRAIN_MS = 5_000;

type User = BenchUser;

/** Users who are all members of all rooms (a room holds at most 100). */
async function buildWorld(url: string, userCount: number, roomCount: number): Promise<{ users: User[]; rooms: string[] }> {
  const users: User[] = [];
  for (let i = 0; i < userCount; i += 10) users.push(...(await Promise.all(Array.from({ length: Math.min(10, userCount - i) }, () => signUp(url)))));
  const [owner, ...others] = users;
  for (const other of others) await gql(url, 'mutation($id: ID!) { addFriend(userId: $id) { id } }', { id: other.id }, owner.token);
  const rooms: string[] = [];
  for (let r = 0; r < roomCount; r++) {
    const data = await gql(url, 'mutation($ids: [ID!]!) { createRoom(memberIds: $ids) { id } }', { ids: others.map((o) => o.id) }, owner.token);
    rooms.push(data.createRoom.id);
  }
  return { users, rooms };
}

const WATCH = 'subscription($roomId: ID!) { roomMessages(roomId: $roomId) { body } }';
const SEND = 'mutation($input: SendChatInput!) { sendChat(input: $input) { seq } }';

/**
 * Opens `count` subscriptions (one socket each), spread over users and rooms,
 * and resolves once every one of them is live: a warm-up message is sent to
 * each room until every subscriber has received one.
 */
async function openSubscriptions(url: string, count: number, users: User[], rooms: string[], onBody: (body: string) => void): Promise<WsClient[]> {
  const clients: WsClient[] = [];
  const warmedUp = new Array<boolean>(count).fill(false);
  for (let i = 0; i < count; i++) {
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${users[i % users.length].token}` },
      retryAttempts: 0,
    });
    client.subscribe<{ roomMessages: { body: string } }>(
      { query: WATCH, variables: { roomId: rooms[i % rooms.length] } },
      {
        next: ({ data }) => {
          if (!data) return;
          warmedUp[i] = true;
          onBody(data.roomMessages.body);
        },
        // A CloseEvent stringifies as {}: its code and reason say why (4400s from graphql-ws, 1006 for a terminated socket).
        error: (err) => {
          const closed = err as { code?: number; reason?: string };
          progress(`subscription error: ${closed.code !== undefined ? `socket closed ${closed.code} ${closed.reason ?? ''}` : JSON.stringify(err).slice(0, 200)}`);
        },
        complete: () => undefined,
      },
    );
    clients.push(client);
  }
  const deadline = now() + 120_000;
  while (warmedUp.some((w) => !w)) {
    if (now() > deadline) throw new Error(`only ${warmedUp.filter(Boolean).length} of ${count} subscriptions became live`);
    const owner = users[0];
    await Promise.all(rooms.map((roomId) => gql(url, SEND, { input: { roomId, body: 'warm-up' } }, owner.token)));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return clients;
}

interface StepRun {
  plan: StepPlan;
  seconds: number;
  sent: number;
  errors: number;
  sendMs: number[];
}

/** Runs one step with `send(stepIndex, dueAt)` (index -1: a warm-up, not counted by the receivers). */
async function runStep(plan: StepPlan, index: number, senders: number, send: (step: number, dueAt: number) => Promise<void>, label: string): Promise<StepRun> {
  const sendMs: number[] = [];
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  const started = now();
  const end = started + plan.seconds * 1000;
  const one = async (dueAt: number) => {
    inFlight++;
    try {
      await send(index, dueAt);
      sendMs.push(now() - dueAt);
      sent++;
    } catch {
      errors++;
    } finally {
      inFlight--;
    }
  };
  progress(`${label}: ${index < 0 ? 'warm-up' : `step ${index + 1}`} ${plan.mode}${plan.ratePerSec ? ` at ${plan.ratePerSec}/s` : ''} for ${plan.seconds} s`);
  if (plan.mode === 'open') {
    const interval = 1000 / plan.ratePerSec!;
    const pending: Promise<void>[] = [];
    for (let due = started; due < end; due += interval) {
      const wait = due - now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      if (inFlight >= MAX_IN_FLIGHT) {
        errors++;
        continue;
      }
      // Counted from when it was due, or from when it goes out if that is earlier (timers are coarser than the interval).
      pending.push(one(Math.min(due, now())));
    }
    await Promise.all(pending);
  } else {
    await Promise.all(
      Array.from({ length: plan.mode === 'sequential' ? 1 : senders }, async () => {
        while (now() < end) await one(now());
      }),
    );
  }
  return { plan, seconds: (now() - started) / 1000, sent, errors, sendMs };
}

async function runSteps(plans: StepPlan[], senders: number, send: (step: number, dueAt: number) => Promise<void>, label: string): Promise<StepRun[]> {
  const out = [];
  for (const [index, plan] of plans.entries()) out.push(await runStep(plan, index, senders, send, label));
  return out;
}

async function chatJob(job: Extract<Job, { kind: 'chat' }>): Promise<Step[]> {
  progress(`${job.target}: ${Math.max(job.senders, 20)} users, ${job.rooms} rooms`);
  const { users, rooms } = await buildWorld(job.url, Math.min(Math.max(job.senders, 20), 100), job.rooms);
  // Per step: delivery samples, counted as they arrive. A body is "<step> <dueAt>".
  const deliveries: number[][] = job.steps.map(() => []);
  const clients = await openSubscriptions(job.url, job.subscribers, users, rooms, (body) => {
    const [step, dueAt] = body.split(' ').map(Number);
    deliveries[step]?.push(now() - dueAt);
  });
  progress(`${job.target}: ${job.subscribers} subscriptions open`);
  let n = 0;
  const send = async (step: number, dueAt: number) => {
    const i = n++;
    const user = users[i % Math.min(job.senders, users.length)];
    await gql(job.url, SEND, { input: { roomId: rooms[i % rooms.length], body: `${step} ${dueAt}` } }, user.token);
  };
  const perSend = job.subscribers / rooms.length;
  /** Lets the step's last deliveries arrive (bounded) before counting them. */
  const drain = async (runs: StepRun[], steps: number[]) => {
    const expected = runs.reduce((sum, r) => sum + r.sent, 0) * perSend;
    const until = now() + DRAIN_MS;
    while (steps.reduce((sum, i) => sum + deliveries[i].length, 0) < expected && now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const toStep = (r: StepRun, i: number): Step => ({
    target: job.target,
    mode: r.plan.mode,
    offeredPerSec: r.plan.ratePerSec ?? null,
    seconds: r.seconds,
    sentPerSec: r.sent / r.seconds,
    deliveredPerSec: deliveries[i].length / r.seconds,
    sendMs: percentiles(r.sendMs),
    deliveryMs: percentiles(deliveries[i]),
    errors: r.errors,
  });
  if (job.interactive) {
    const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
    say({ ready: true });
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
      const order = JSON.parse(line) as { step?: number; quit?: boolean };
      if (order.quit || order.step === undefined) break;
      const plan = job.steps[order.step];
      if (job.warmSeconds) {
        await runStep({ ...plan, seconds: job.warmSeconds }, -1, job.senders, send, job.target);
        await new Promise((resolve) => setTimeout(resolve, 200)); // the warm-up's deliveries out of the way
      }
      say({ measuring: order.step });
      const run = await runStep(plan, order.step, job.senders, send, job.target);
      await drain([run], [order.step]);
      say({ done: order.step, step: toStep(run, order.step) });
    }
    lines.close();
    await Promise.all(clients.map((c) => c.dispose()));
    return [];
  }
  const results = await runSteps(job.steps, job.senders, send, job.target);
  await drain(results, job.steps.map((_, i) => i));
  await Promise.all(clients.map((c) => c.dispose()));
  return results.map(toStep);
}

async function kafkaJob(job: Extract<Job, { kind: 'kafka' }>): Promise<Step[]> {
  const kafka = new Kafka({ clientId: 'bench', brokers: job.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: job.topic, numPartitions: 6 }], waitForLeaders: true });
  const producer: Producer = kafka.producer();
  const consumer: Consumer = kafka.consumer({ groupId: `${job.topic}.bench`, maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic: job.topic, fromBeginning: true });
  const deliveries: number[][] = job.steps.map(() => []);
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const [step, dueAt] = String(message.value).split(' ').map(Number);
      if (step >= 0) deliveries[step]?.push(now() - dueAt);
    },
  });
  while (!joined) await new Promise((resolve) => setTimeout(resolve, 50));
  let n = 0;
  const results = await runSteps(
    job.steps,
    job.senders,
    async (step, dueAt) => {
      await producer.send({ topic: job.topic, messages: [{ key: String(n++ % 100), value: `${step} ${dueAt}` }] });
    },
    'kafka',
  );
  const expected = results.reduce((sum, r) => sum + r.sent, 0);
  const until = now() + DRAIN_MS;
  while (deliveries.flat().length < expected && now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  await consumer.disconnect();
  await producer.disconnect();
  await admin.disconnect();
  return results.map((r, i) => ({
    target: 'kafka' as const,
    mode: r.plan.mode,
    offeredPerSec: r.plan.ratePerSec ?? null,
    seconds: r.seconds,
    sentPerSec: r.sent / r.seconds,
    deliveredPerSec: deliveries[i].length / r.seconds,
    sendMs: null,
    deliveryMs: percentiles(deliveries[i]),
    errors: r.errors,
  }));
}

async function idleJob(job: Extract<Job, { kind: 'idle' }>): Promise<void> {
  const { users, rooms } = await buildWorld(job.url, 20, 10);
  // bench/run.ts reads the gateway's memory now, then says go.
  process.stdout.write(`${JSON.stringify({ worldBuilt: true })}\n`);
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const batch = 500;
  const clients: WsClient[] = [];
  for (let opened = 0; opened < job.subscriptions; opened += batch) {
    clients.push(...(await openSubscriptions(job.url, Math.min(batch, job.subscriptions - opened), users, rooms, () => undefined)));
    progress(`idle: ${clients.length}/${job.subscriptions} subscriptions live`);
  }
  process.stdout.write(`${JSON.stringify({ ready: clients.length })}\n`);
  // Held until bench/run.ts has measured the gateway and kills this process.
  await new Promise(() => undefined);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as Job;
  if (job.kind === 'idle') return idleJob(job);
  const steps = job.kind === 'chat' ? await chatJob(job) : await kafkaJob(job);
  process.stdout.write(`${JSON.stringify({ steps })}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`[load] failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
