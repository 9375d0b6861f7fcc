import * as path from 'node:path';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { runScript } from './child';
import type { LiveJob } from './live-load';
import type { BenchResults, Percentiles } from './report';

/**
 * The cost of the live streams (issue 15), side by side with roomMessages
 * alone in one run: the same chat load with every subscriber also holding
 * myEvents (roomEvents instead of roomMessages) and every sender typing once a
 * second; and the memory of an idle connection holding roomEvents and myEvents
 * against one roomMessages subscription. Called by bench/run.ts.
 */

const LIVE_LOAD = path.join(__dirname, 'live-load.js');
/** One roomMessages subscription's RSS before this issue (BENCHMARKS.md, 10,000 on one gateway). */
const ROOM_MESSAGES_KB = 21.8;

export interface LiveFigures {
  roomMessages: { deliveryMs: Percentiles; sentPerSec: number };
  withLive: { deliveryMs: Percentiles; sentPerSec: number; typingPerSec: number };
  idle: { connections: number; kbPerConnection: number } | null;
}

const runLiveLoad = (job: LiveJob, onLine?: Parameters<typeof runScript>[2]) => runScript(LIVE_LOAD, job, onLine);

function rssAfterGc(): number {
  for (let i = 0; i < 4; i++) global.gc!();
  return process.memoryUsage().rss / 2 ** 20;
}

/** Idle connections with roomEvents and myEvents on a gateway in this process, measured after a full GC (as bench/run.ts does for roomMessages). */
async function idleLive(env: Record<string, string>, connections: number): Promise<LiveFigures['idle']> {
  const app = await startApp(loadConfig({ ...env, PORT: '0' }), ['gateway'], createLogger('bench-live-idle', true));
  try {
    let before = 0;
    let after = 0;
    let count = 0;
    await runLiveLoad({ kind: 'idle', url: app.gateway!.url, connections }, (line, child) => {
      const said = JSON.parse(line) as { worldBuilt?: boolean; ready?: number };
      if (said.worldBuilt) {
        before = rssAfterGc();
        child.stdin!.write('go\n');
      } else if (said.ready !== undefined) {
        count = said.ready;
        after = rssAfterGc();
        child.kill('SIGKILL');
      }
    });
    return { connections: count, kbPerConnection: ((after - before) * 1024) / Math.max(count, 1) };
  } finally {
    await app.stop();
  }
}

export async function liveBench(options: {
  gatewayUrl: string;
  env: Record<string, string>;
  quick: boolean;
  progress: (line: string) => void;
}): Promise<{ figures: LiveFigures; targets: BenchResults['targets'] }> {
  const { quick, progress } = options;
  // 100 chats a second, as the peer comparison's first step: a load the service carries on this machine
  // (its closed loop tops out at a few hundred a second), so both runs measure delivery, not a queue.
  const load = quick
    ? { rooms: 20, subscribers: 200, senders: 20, ratePerSec: 100, seconds: 4, rounds: 2, idle: 1_000 }
    : { rooms: 100, subscribers: 1_000, senders: 50, ratePerSec: 100, seconds: 20, rounds: 4, idle: 5_000 };
  progress(`live streams: ${JSON.stringify(load)}`);
  const out = await runLiveLoad({ kind: 'compare', url: options.gatewayUrl, ...load });
  const { roomMessages, withLive } = JSON.parse(out) as Pick<LiveFigures, 'roomMessages' | 'withLive'>;
  progress(`live streams: idle connections with roomEvents and myEvents: opening ${load.idle}`);
  const idle = await idleLive(options.env, load.idle);
  const figures: LiveFigures = { roomMessages, withLive, idle };
  const ratio = roomMessages.deliveryMs.p99 > 0 ? withLive.deliveryMs.p99 / roomMessages.deliveryMs.p99 : null;
  const targets: BenchResults['targets'] = [
    {
      name: `MessageAdded delivery p99 with roomEvents, myEvents (one per user) and typing, vs roomMessages alone (${load.subscribers} subscribers, ${load.ratePerSec} msg/s)`,
      target: '≤ 1.2×',
      measured:
        ratio === null
          ? 'not measured'
          : `${ratio.toFixed(2)}× (${withLive.deliveryMs.p99.toFixed(1)} vs ${roomMessages.deliveryMs.p99.toFixed(1)} ms; p50 ${withLive.deliveryMs.p50.toFixed(1)} vs ${roomMessages.deliveryMs.p50.toFixed(1)} ms; typing ${withLive.typingPerSec.toFixed(0)}/s)`,
      met: ratio !== null && ratio <= 1.2,
      note: `the two took turns, ${load.rounds} rounds of ${load.seconds / load.rounds} s each`,
    },
    {
      name: `RSS per idle connection with roomEvents + myEvents (${idle?.connections ?? 0})`,
      target: `≤ 1.5× roomMessages (${(ROOM_MESSAGES_KB * 1.5).toFixed(1)} KB)`,
      measured: idle ? `${idle.kbPerConnection.toFixed(1)} KB` : 'not measured',
      met: !!idle && idle.kbPerConnection <= ROOM_MESSAGES_KB * 1.5,
      note: '',
    },
  ];
  return { figures, targets };
}
