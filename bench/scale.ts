import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createClient, type Client as WsClient } from 'graphql-ws';
import 'reflect-metadata';
import WebSocket from 'ws';
import { partitionOfKey } from '../src/kafka/client';
import { startProcess, type ServiceProcess } from '../src/dev/processes';
import { gql, signUp, type BenchUser } from './graphql-client';
import { percentiles } from './report';

/**
 * The scale step of `npm run bench` (issue 18): 4 gateway processes and 2
 * workers over one broker; each gateway serves a quarter of the rooms (those
 * whose partition of chat.messages falls in its quarter, as a room-affine
 * load balancer would place them), with every subscriber of a room on its
 * gateway and every chat of a room sent through it. Run twice in one go:
 * with GATEWAY_READS_SERVED_PARTITIONS_ONLY=false (the "before": every
 * gateway reads every partition) and =true. Reports, per gateway, records
 * fetched per chat sent (of chat.replies and chat.messages), from each
 * gateway's /metrics, and the delivery latency seen by the subscribers.
 */

export interface ScalePlan {
  gateways: number;
  workers: number;
  roomsPerGateway: number;
  subscribersPerRoom: number;
  chatsPerSecond: number;
  seconds: number;
}

export interface ScaleGateway {
  repliesFetchedPerChat: number;
  repliesDelivered: number;
  eventsFetchedPerChat: number;
  eventsDelivered: number;
  /** The gateway's CPU time over the measured window, per chat of all rooms. */
  cpuMsPerChat: number;
}

export interface ScaleMode {
  readServedPartitionsOnly: boolean;
  /** Chats sent, and of them those whose sender got no answer in time. */
  chats: number;
  failedSends: number;
  gateways: ScaleGateway[];
  deliveryMs: ReturnType<typeof percentiles>;
  sendMs: ReturnType<typeof percentiles>;
}

export interface ScaleResult {
  plan: ScalePlan;
  eventPartitions: number;
  replyPartitions: number;
  modes: ScaleMode[];
}

const EVENT_PARTITIONS = 64;
const REPLY_PARTITIONS = 128;
const WATCH = 'subscription($roomId: ID!) { roomMessages(roomId: $roomId) { body } }';
const SEND = 'mutation($input: SendChatInput!) { sendChat(input: $input) { seq } }';
const DRAIN_MS = 5_000;
/** The most the drain waits. */
const DRAIN_LIMIT_MS = 120_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** chat_kafka_records_{fetched,delivered}_total of one gateway, by consumer. */
async function recordsRead(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^chat_kafka_records_(fetched|delivered)_total\{consumer="(\w+)"\} (\S+)$/gm)) {
    out[`${match[2]}.${match[1]}`] = Number(match[3]);
  }
  return out;
}

async function runMode(plan: ScalePlan, baseEnv: Record<string, string>, readServedPartitionsOnly: boolean, log: (line: string) => void): Promise<ScaleMode> {
  const env = {
    ...baseEnv,
    KAFKA_TOPIC_PREFIX: `bench.scale.${randomUUID().slice(0, 8)}`,
    KAFKA_EVENT_PARTITIONS: String(EVENT_PARTITIONS),
    KAFKA_REPLY_PARTITIONS: String(REPLY_PARTITIONS),
    GATEWAY_READS_SERVED_PARTITIONS_ONLY: String(readServedPartitionsOnly),
  };
  const processes: ServiceProcess[] = [];
  const clients: WsClient[] = [];
  try {
    for (let w = 0; w < plan.workers; w++) processes.push(await startProcess('worker', env));
    const gateways: { proc: ServiceProcess; metrics: string }[] = [];
    // One after the other: each takes a reply partition no running gateway reads.
    for (let g = 0; g < plan.gateways; g++) {
      const port = await freePort();
      const proc = await startProcess('gateway', { ...env, METRICS_PORT: String(port) });
      processes.push(proc);
      gateways.push({ proc, metrics: `http://127.0.0.1:${port}/metrics` });
    }
    const gatewayOf = (roomId: string) => Math.floor((partitionOfKey(roomId, EVENT_PARTITIONS) * plan.gateways) / EVENT_PARTITIONS);

    // The world, through gateway 0 (setup, not measured): an owner and the subscribers, rooms until each gateway has its share.
    const setupUrl = gateways[0].proc.url;
    const owner = await signUp(setupUrl);
    const members: BenchUser[] = [];
    for (let i = 0; i < plan.subscribersPerRoom; i++) members.push(await signUp(setupUrl));
    for (const m of members) await gql(setupUrl, 'mutation($id: ID!) { addFriend(userId: $id) { id } }', { id: m.id }, owner.token);
    const rooms: string[][] = Array.from({ length: plan.gateways }, () => []);
    while (rooms.some((r) => r.length < plan.roomsPerGateway)) {
      const data = await gql(setupUrl, 'mutation($ids: [ID!]!) { createRoom(memberIds: $ids) { id } }', { ids: members.map((m) => m.id) }, owner.token);
      const roomId = data.createRoom.id as string;
      const g = gatewayOf(roomId);
      if (rooms[g].length < plan.roomsPerGateway) rooms[g].push(roomId);
    }
    log(`scale (${readServedPartitionsOnly ? 'after' : 'before'}): ${plan.gateways} gateways, ${plan.workers} workers, ${plan.roomsPerGateway} rooms each`);

    // Subscribers of each room on its gateway only; a body carries the time it was sent.
    const delivery: number[] = [];
    let measuring = false;
    const warm = new Set<string>();
    for (let g = 0; g < plan.gateways; g++) {
      for (const roomId of rooms[g]) {
        for (const member of members) {
          const client = createClient({
            url: gateways[g].proc.url.replace(/^http/, 'ws'),
            webSocketImpl: WebSocket,
            connectionParams: { authorization: `Bearer ${member.token}` },
            retryAttempts: 0,
          });
          clients.push(client);
          client.subscribe<{ roomMessages: { body: string } }>(
            { query: WATCH, variables: { roomId } },
            {
              next: ({ data }) => {
                const body = data?.roomMessages.body ?? '';
                if (body.startsWith('warm')) warm.add(`${roomId}/${member.id}`);
                else if (measuring && body.startsWith('t=')) delivery.push(performance.timeOrigin + performance.now() - Number(body.slice(2)));
              },
              error: () => undefined,
              complete: () => undefined,
            },
          );
        }
      }
    }
    const expectedWarm = plan.gateways * plan.roomsPerGateway * members.length;
    const warmDeadline = Date.now() + 60_000;
    while (warm.size < expectedWarm) {
      if (Date.now() > warmDeadline) throw new Error(`only ${warm.size} of ${expectedWarm} subscriptions went live`);
      for (let g = 0; g < plan.gateways; g++) {
        for (const roomId of rooms[g]) await gql(gateways[g].proc.url, SEND, { input: { roomId, body: 'warm' } }, owner.token);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    // Measured: chats at a steady rate, each room's through its gateway.
    const before = await Promise.all(gateways.map((g) => recordsRead(g.metrics)));
    const cpuBefore = gateways.map((g) => cpuSeconds(g.proc.pid));
    measuring = true;
    const total = plan.chatsPerSecond * plan.seconds;
    const flat = rooms.flatMap((r, g) => r.map((roomId) => ({ roomId, url: gateways[g].proc.url })));
    const sendMs: number[] = [];
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / plan.chatsPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { roomId, url } = flat[i % flat.length];
      sends.push(
        gql(url, SEND, { input: { roomId, body: `t=${performance.timeOrigin + performance.now()}` } }, owner.token).then(
          () => void sendMs.push(performance.now() - due),
          () => undefined,
        ),
      );
    }
    await Promise.all(sends);
    // Until every gateway has fetched all it will (a loaded machine lags): the counts stop moving for DRAIN_MS.
    let after = await Promise.all(gateways.map((g) => recordsRead(g.metrics)));
    const fetchedSum = (read: Record<string, number>[]) => read.reduce((n, r) => n + (r['messages.fetched'] ?? 0) + (r['replies.fetched'] ?? 0), 0);
    const drainUntil = Date.now() + DRAIN_LIMIT_MS;
    let quietSince = Date.now();
    while (Date.now() - quietSince < DRAIN_MS && Date.now() < drainUntil) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const now = await Promise.all(gateways.map((g) => recordsRead(g.metrics)));
      if (fetchedSum(now) !== fetchedSum(after)) quietSince = Date.now();
      after = now;
    }
    const cpuAfter = gateways.map((g) => cpuSeconds(g.proc.pid));
    const delta = (g: number, name: string) => (after[g][name] ?? 0) - (before[g][name] ?? 0);
    // Each chat's reply and event are delivered on exactly one gateway (its room's): their sums count the chats that went
    // through, whether or not the sender saw its reply in time on a loaded machine.
    const sum = (name: string) => gateways.reduce((n, _, g) => n + delta(g, name), 0);
    const replies = Math.max(1, sum('replies.delivered'));
    const events = Math.max(1, sum('messages.delivered'));
    return {
      readServedPartitionsOnly,
      chats: total,
      failedSends: total - sendMs.length,
      gateways: gateways.map((_, g) => ({
        repliesFetchedPerChat: delta(g, 'replies.fetched') / replies,
        repliesDelivered: delta(g, 'replies.delivered'),
        eventsFetchedPerChat: delta(g, 'messages.fetched') / events,
        eventsDelivered: delta(g, 'messages.delivered'),
        cpuMsPerChat: ((cpuAfter[g] - cpuBefore[g]) * 1000) / events,
      })),
      deliveryMs: percentiles(delivery),
      sendMs: percentiles(sendMs),
    };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all(processes.map((p) => p.stop()));
  }
}

/** Both modes, the "before" first, over the broker and database of `baseEnv`. */
export async function scaleStep(plan: ScalePlan, baseEnv: Record<string, string>, log: (line: string) => void): Promise<ScaleResult> {
  const modes: ScaleMode[] = [];
  for (const only of [false, true]) modes.push(await runMode(plan, baseEnv, only, log));
  return { plan, eventPartitions: EVENT_PARTITIONS, replyPartitions: REPLY_PARTITIONS, modes };
}

/** The scale step as a markdown table, with the targets (≤ 1/2 of replies and of events per gateway). */
export function renderScale(result: ScaleResult): string {
  const { plan } = result;
  const lines = [
    `### Scale step: ${plan.gateways} gateways, ${plan.workers} workers, ${plan.roomsPerGateway} rooms and ${plan.roomsPerGateway * plan.subscribersPerRoom} subscribers per gateway, ${plan.chatsPerSecond} chats/s for ${plan.seconds} s`,
    '',
    `chat.messages ${result.eventPartitions} partitions, chat.replies ${result.replyPartitions}. Records fetched per chat (all rooms), per gateway; the ideal is 1/${plan.gateways}. Sends without an answer in time: ${result.modes.map((m) => `${m.failedSends} of ${m.chats}`).join(' before, ')} after.`,
    '',
    '| mode | gateway | replies fetched / chat | events fetched / chat | gateway CPU ms / chat | delivery p50 / p99 ms | sendChat p50 / p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const mode of result.modes) {
    mode.gateways.forEach((g, i) =>
      lines.push(
        `| ${mode.readServedPartitionsOnly ? 'after (served partitions only)' : 'before (every partition)'} | ${i + 1} | ${g.repliesFetchedPerChat.toFixed(3)} | ${g.eventsFetchedPerChat.toFixed(3)} | ${g.cpuMsPerChat.toFixed(2)} | ${i === 0 ? `${mode.deliveryMs.p50.toFixed(1)} / ${mode.deliveryMs.p99.toFixed(1)}` : ''} | ${i === 0 ? `${mode.sendMs.p50.toFixed(1)} / ${mode.sendMs.p99.toFixed(1)}` : ''} |`,
      ),
    );
  }
  const after = result.modes.find((m) => m.readServedPartitionsOnly);
  if (after) {
    const worstReplies = Math.max(...after.gateways.map((g) => g.repliesFetchedPerChat));
    const worstEvents = Math.max(...after.gateways.map((g) => g.eventsFetchedPerChat));
    lines.push(
      '',
      `Targets: replies per gateway ≤ 0.5 per chat: ${worstReplies.toFixed(3)} (${worstReplies <= 0.5 ? 'met' : 'missed'}); events ≤ 0.5: ${worstEvents.toFixed(3)} (${worstEvents <= 0.5 ? 'met' : 'missed'}).`,
    );
  }
  return lines.join('\n');
}

export const SCALE_PLAN: ScalePlan = { gateways: 4, workers: 2, roomsPerGateway: 8, subscribersPerRoom: 4, chatsPerSecond: 50, seconds: 20 };
export const SCALE_PLAN_QUICK: ScalePlan = { ...SCALE_PLAN, roomsPerGateway: 4, subscribersPerRoom: 2, seconds: 10 };
