import { EventEmitter } from 'node:events';
import { CloseCode } from 'graphql-ws';
import type { Viewer } from '../src/gateway/auth';
import { CLOSE_TOO_MANY_SOCKETS, SocketRegistry } from '../src/gateway/sockets';

// The socket registry's caps and token expiry, over fake sockets and jest's fake clock.

class FakeSocket extends EventEmitter {
  bufferedAmount = 0;
  closedWith: [number, string] | null = null;
  close(code: number, reason: string): void {
    if (this.closedWith) return; // like ws: the first close wins
    this.closedWith = [code, reason];
    this.emit('close');
  }
}

const HOUR = 3600_000;
const viewer = (userId: string, expiresInMs = HOUR, tokenId = `${userId}-token`): Viewer => ({
  userId,
  tokenId,
  expiresAt: new Date(Date.now() + expiresInMs),
});

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('per address: the socket over the cap is closed with 4429 at once; a closed one frees its place', () => {
  const refused: string[] = [];
  const registry = new SocketRegistry({ perUser: 0, perAddress: 2 }, (cap) => refused.push(cap));
  const [a, b, c, other] = [new FakeSocket(), new FakeSocket(), new FakeSocket(), new FakeSocket()];
  expect(registry.opened('10.0.0.1', a)).toBe(true);
  expect(registry.opened('10.0.0.1', b)).toBe(true);
  expect(registry.opened('10.0.0.2', other)).toBe(true);
  expect(registry.opened('10.0.0.1', c)).toBe(false);
  expect(c.closedWith).toEqual([CLOSE_TOO_MANY_SOCKETS, 'Too many connections: at most 2 open sockets per client address']);
  expect(CLOSE_TOO_MANY_SOCKETS).toBe(4429);
  expect(registry.openFrom('10.0.0.1')).toBe(2);
  expect(refused).toEqual(['address']);

  a.close(1000, 'bye');
  expect(registry.openFrom('10.0.0.1')).toBe(1);
  expect(registry.opened('10.0.0.1', new FakeSocket())).toBe(true);
  b.close(1000, 'bye');
  other.close(1000, 'bye');
  expect(registry.openFrom('10.0.0.2')).toBe(0);
});

test('per user, over all their tokens: the socket over the cap is closed with 4429 and not tracked', () => {
  const refused: string[] = [];
  const registry = new SocketRegistry({ perUser: 2, perAddress: 0 }, (cap) => refused.push(cap));
  const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  expect(registry.track(viewer('alice', HOUR, 't1'), sockets[0])).toBe(true);
  expect(registry.track(viewer('alice', HOUR, 't2'), sockets[1])).toBe(true);
  expect(registry.track(viewer('bob'), new FakeSocket())).toBe(true);
  expect(registry.track(viewer('alice', HOUR, 't3'), sockets[2])).toBe(false);
  expect(sockets[2].closedWith).toEqual([4429, 'Too many connections: at most 2 open sockets per user']);
  expect(registry.size).toBe(3);
  expect(refused).toEqual(['user']);

  sockets[0].close(1000, 'bye');
  const again = new FakeSocket();
  expect(registry.track(viewer('alice', HOUR, 't3'), again)).toBe(true);
  expect(again.closedWith).toBeNull();
});

test('0 turns a cap off', () => {
  const registry = new SocketRegistry({ perUser: 0, perAddress: 0 });
  for (let i = 0; i < 1000; i++) {
    expect(registry.opened('10.0.0.1', new FakeSocket())).toBe(true);
    expect(registry.track(viewer('alice'), new FakeSocket())).toBe(true);
  }
});

test("a socket is closed with 4403 when its token expires, not before; a socket closed earlier leaves no timer", () => {
  const registry = new SocketRegistry({ perUser: 0, perAddress: 0 });
  const expiring = new FakeSocket();
  const closedEarly = new FakeSocket();
  registry.track(viewer('alice', 10_000), expiring);
  registry.track(viewer('bob', 10_000), closedEarly);
  closedEarly.close(1000, 'bye');
  expect(jest.getTimerCount()).toBe(1);

  jest.advanceTimersByTime(9_999);
  expect(expiring.closedWith).toBeNull();
  jest.advanceTimersByTime(1);
  expect(expiring.closedWith).toEqual([CloseCode.Forbidden, 'Forbidden: token expired; log in again']);
  expect(closedEarly.closedWith).toEqual([1000, 'bye']);
  expect(registry.size).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
});

test('a token valid for longer than a timer can wait (a year) still closes its socket then, not at once', () => {
  const registry = new SocketRegistry({ perUser: 0, perAddress: 0 });
  const socket = new FakeSocket();
  const YEAR = 365 * 24 * HOUR;
  registry.track(viewer('alice', YEAR), socket);
  jest.advanceTimersByTime(YEAR - 1);
  expect(socket.closedWith).toBeNull();
  jest.advanceTimersByTime(1);
  expect(socket.closedWith?.[0]).toBe(4403);
});

test('a socket with unsent bytes at every look for the unread timeout is closed with 1013; one that reads is left open', () => {
  const registry = new SocketRegistry({ perUser: 0, perAddress: 0 });
  const [frozen, slowButReading, idle] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  for (const s of [frozen, slowButReading, idle]) registry.opened('192.0.2.1', s);
  frozen.bufferedAmount = 64_000;
  let now = 1_000_000;
  for (let second = 0; second < 30; second++, now += 1_000) {
    // The slow reader empties its buffer now and then.
    slowButReading.bufferedAmount = second % 10 === 9 ? 0 : 4_000;
    registry.closeUnread(30_000, now);
  }
  expect(frozen.closedWith).toBeNull(); // 29 s of unsent bytes: not yet
  registry.closeUnread(30_000, now);
  expect(frozen.closedWith).toEqual([1013, 'Try again later: nothing was read for 30 s']);
  expect(slowButReading.closedWith).toBeNull();
  expect(idle.closedWith).toBeNull();
  // 0 turns it off.
  const off = new SocketRegistry({ perUser: 0, perAddress: 0 });
  const stuck = new FakeSocket();
  off.opened('192.0.2.1', stuck);
  stuck.bufferedAmount = 1;
  for (let i = 0; i < 100; i++) off.closeUnread(0, now + i * 60_000);
  expect(stuck.closedWith).toBeNull();
});
