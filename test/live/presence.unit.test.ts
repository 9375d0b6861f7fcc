import type { ChatEvent, PresenceEvent } from '../../src/contracts/records';
import type { Logger } from '../../src/log';
import { PRESENCE_EXPIRY_MS, PRESENCE_HEARTBEAT_MS, Presence } from '../../src/live/presence';
import type { EventRouter } from '../../src/live/router';

// Presence across gateways with a fake clock and a fake events channel: who is online, what is told, who records lastSeenAt.

const log = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;

function gateway(id: string) {
  let now = 1_000_000;
  const published: PresenceEvent[] = [];
  const changes: [string, boolean][] = [];
  const recorded: string[] = [];
  let deliver: (event: ChatEvent) => void = () => undefined;
  const router = { listen: async (_channel: string, listener: (event: ChatEvent) => void) => ((deliver = listener), () => undefined) } as unknown as EventRouter;
  const presence = new Presence(
    id,
    {
      publish: async (event) => void published.push(event),
      changed: (userId, online) => void changes.push([userId, online]),
      lastSeen: (userId) => void recorded.push(userId),
    },
    log,
    () => now,
  );
  return {
    presence,
    published,
    changes,
    recorded,
    router,
    hear: (event: PresenceEvent) => deliver(event),
    advance: (ms: number) => {
      now += ms;
      (presence as unknown as { tick(): void }).tick();
    },
  };
}

const beat = (gatewayId: string, userIds: string[], final = false): PresenceEvent => ({ v: 1, type: 'presence', gatewayId, at: 0, userIds, final });


test('given a user with two sockets here, when both close, then one change each way, and this gateway records when they went', async () => {
  const g = gateway('g1');
  await g.presence.start(g.router);
  g.presence.connected('bob');
  g.presence.connected('bob');
  expect(g.presence.isOnline('bob')).toBe(true);
  g.presence.disconnected('bob');
  expect(g.changes).toEqual([['bob', true]]);
  g.presence.disconnected('bob');
  expect(g.changes).toEqual([['bob', true], ['bob', false]]);
  expect(g.recorded).toEqual(['bob']);
  expect(g.published.at(-1)).toMatchObject({ gatewayId: 'g1', userIds: [], final: false });
  await g.presence.stop();
});

test('given another gateway lists Bob, when its heartbeats stop, then Bob goes offline after the expiry, and the first live gateway by id records it', async () => {
  const a = gateway('a');
  const z = gateway('z');
  await a.presence.start(a.router);
  await z.presence.start(z.router);
  for (const g of [a, z]) g.hear(beat('dead', ['bob']));
  expect(a.presence.isOnline('bob')).toBe(true);
  for (const g of [a, z]) g.hear(beat(g === a ? 'z' : 'a', []));
  for (const g of [a, z]) g.advance(PRESENCE_EXPIRY_MS - PRESENCE_HEARTBEAT_MS);
  // The live gateways keep hearing each other; the dead one is silent.
  for (const g of [a, z]) g.hear(beat(g === a ? 'z' : 'a', []));
  expect(a.presence.isOnline('bob')).toBe(true);
  for (const g of [a, z]) g.advance(PRESENCE_HEARTBEAT_MS + 1);
  expect(a.presence.isOnline('bob')).toBe(false);
  expect(a.changes).toEqual([['bob', true], ['bob', false]]);
  expect(a.recorded).toEqual(['bob']);
  expect(z.recorded).toEqual([]);
  await a.presence.stop();
  await z.presence.stop();
});

test('given Bob on two gateways, when one says goodbye, then he stays online; a gateway ignores its own heartbeats', async () => {
  const g = gateway('g1');
  await g.presence.start(g.router);
  g.hear(beat('g2', ['bob']));
  g.hear(beat('g3', ['bob']));
  g.hear(beat('g2', [], true));
  expect(g.presence.isOnline('bob')).toBe(true);
  g.hear(beat('g1', ['carol']));
  expect(g.presence.isOnline('carol')).toBe(false);
  g.hear(beat('g3', [], true));
  expect(g.presence.isOnline('bob')).toBe(false);
  expect(g.changes).toEqual([['bob', true], ['bob', false]]);
  await g.presence.stop();
});
