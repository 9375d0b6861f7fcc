import { SESSIONS_CHANNEL, type ChatEvent, type MessageRecord, type ViewedMessage } from '../../src/contracts/records';
import type { Logger } from '../../src/log';
import { EventRouter, type EventSource, type RoomReads, type SourceRecord } from '../../src/live/router';
import { Semaphore } from '../../src/live/semaphore';

const ROOM_A = '00000000-0000-4000-8000-00000000000a';
const ROOM_B = '00000000-0000-4000-8000-00000000000b';

/** The events topic by channel, as graphql-kafkajs-subscriptions hands it out. */
class FakeSource implements EventSource {
  private lastId = 0;
  readonly subscriptions = new Map<number, { channel: string; onRecord: (record: SourceRecord) => void }>();
  private offset = 0;

  async subscribe(channel: string, onRecord: (record: SourceRecord) => void): Promise<number> {
    this.subscriptions.set(++this.lastId, { channel, onRecord });
    return this.lastId;
  }

  unsubscribe(id: number): void {
    this.subscriptions.delete(id);
  }

  channels(): string[] {
    return [...this.subscriptions.values()].map((s) => s.channel);
  }

  publish(channel: string, value: unknown): void {
    const record = { value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), offset: String(this.offset++) };
    for (const s of this.subscriptions.values()) if (s.channel === channel) s.onRecord(record);
  }
}

function message(roomId: string, seq: number): MessageRecord {
  return {
    id: `m${seq}`,
    roomId,
    seq,
    kind: 'TEXT',
    body: `body ${seq}`,
    sender: null,
    attachment: null,
    clientMessageId: null,
    createdAt: new Date().toISOString(),
  };
}

function setup() {
  const source = new FakeSource();
  const warnings: string[] = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: (msg: string) => void warnings.push(msg), error: () => undefined };
  const fannedOut: string[] = [];
  let subscriptionCount: () => number = () => -1;
  const metrics = {
    messageFannedOut: (createdAt: string) => void fannedOut.push(createdAt),
    countSubscriptions: (count: () => number) => void (subscriptionCount = count),
  };
  const router = new EventRouter(source, log, metrics, new Semaphore(2, 1000, 10, () => new Error('busy')));
  return { source, router, warnings, fannedOut, openStreams: () => subscriptionCount() };
}

const noHistory: RoomReads = { start: async () => ({ afterSeq: 0, newestSeq: 0 }), history: async () => [] };

describe('EventRouter', () => {
  test('routes each record by its channel; the source is asked once per channel, however many listeners', async () => {
    const { source, router, fannedOut } = setup();
    const a1: ChatEvent[] = [];
    const a2: ChatEvent[] = [];
    const sessions: ChatEvent[] = [];
    await router.listen(ROOM_A, (e) => a1.push(e));
    await router.listen(ROOM_A, (e) => a2.push(e));
    await router.listen(SESSIONS_CHANNEL, (e) => sessions.push(e));
    expect(source.channels().sort()).toEqual([ROOM_A, SESSIONS_CHANNEL].sort());

    source.publish(ROOM_A, { v: 1, type: 'message', message: message(ROOM_A, 1) });
    source.publish(ROOM_B, { v: 1, type: 'message', message: message(ROOM_B, 1) });
    source.publish(SESSIONS_CHANNEL, { v: 1, type: 'session-ended', userId: 'u', tokenId: 't' });

    expect(a1).toHaveLength(1);
    // Parsed once: both listeners get the same object, and delivery latency is observed once.
    expect(a2[0]).toBe(a1[0]);
    expect(fannedOut).toHaveLength(1);
    expect(sessions).toEqual([{ v: 1, type: 'session-ended', userId: 'u', tokenId: 't' }]);
  });

  test('skips unreadable records with a warning, and kinds it does not know quietly', async () => {
    const { source, router, warnings } = setup();
    const got: ChatEvent[] = [];
    await router.listen(ROOM_A, (e) => got.push(e));
    source.publish(ROOM_A, 'not json');
    source.publish(ROOM_A, { v: 1, type: 'message' });
    source.publish(ROOM_A, { v: 1, type: 'reaction-added', emoji: '+1' });
    source.publish(ROOM_A, { v: 1, type: 'message', message: message(ROOM_A, 1) });
    expect(got.map((e) => e.type)).toEqual(['message']);
    expect(warnings).toEqual(['ignoring unreadable record on the events topic', 'ignoring unreadable record on the events topic']);
  });

  test("the channel's last listener leaving ends the source's subscription", async () => {
    const { source, router } = setup();
    const stop1 = await router.listen(ROOM_A, () => undefined);
    const stop2 = await router.listen(ROOM_A, () => undefined);
    stop1();
    stop1(); // twice is harmless
    await Promise.resolve();
    expect(source.channels()).toEqual([ROOM_A]);
    stop2();
    await Promise.resolve();
    expect(source.channels()).toEqual([]);
  });

  test("a room stream gets its room's messages; when it ends it is no longer counted or fed", async () => {
    const { source, router, openStreams } = setup();
    const stream = await router.openRoom(ROOM_A, 'viewer', noHistory);
    expect(openStreams()).toBe(1);
    expect(router.openStreams).toBe(1);
    const first = stream.next();
    source.publish(ROOM_B, { v: 1, type: 'message', message: message(ROOM_B, 1) });
    source.publish(ROOM_A, { v: 1, type: 'message', message: message(ROOM_A, 1) });
    expect(((await first).value as ViewedMessage).message.roomId).toBe(ROOM_A);

    await stream.return();
    await Promise.resolve();
    expect(openStreams()).toBe(0);
    expect(source.channels()).toEqual([]);
  });

  test('closeStreams() ends every room stream', async () => {
    const { router } = setup();
    const a = await router.openRoom(ROOM_A, 'viewer', noHistory);
    const b = await router.openRoom(ROOM_B, 'viewer', noHistory);
    router.closeStreams();
    expect(await a.next()).toEqual({ value: undefined, done: true });
    expect(await b.next()).toEqual({ value: undefined, done: true });
    expect(router.openStreams).toBe(0);
  });

  test('a source that is not reading refuses a stream, and nothing is left behind', async () => {
    const { source, router } = setup();
    source.subscribe = () => Promise.reject(new Error('not started'));
    await expect(router.openRoom(ROOM_A, 'viewer', noHistory)).rejects.toThrow('not started');
    expect(router.openStreams).toBe(0);
  });

  test('the channel is listened to before the start is read: a message published meanwhile is handed out, and a stream at the newest message reads no history', async () => {
    const { source, router } = setup();
    const historyReads: number[] = [];
    const reads: RoomReads = {
      start: async () => {
        // The membership read: listening already, so a message committed after it comes live.
        expect(source.channels()).toEqual([ROOM_A]);
        source.publish(ROOM_A, { v: 1, type: 'message', message: message(ROOM_A, 6) });
        return { afterSeq: 5, newestSeq: 5 };
      },
      history: async (after) => {
        historyReads.push(after);
        return [];
      },
    };
    const stream = await router.openRoom(ROOM_A, 'viewer', reads);
    expect(((await stream.next()).value as ViewedMessage).message.seq).toBe(6);
    source.publish(ROOM_A, { v: 1, type: 'message', message: message(ROOM_A, 7) });
    expect(((await stream.next()).value as ViewedMessage).message.seq).toBe(7);
    expect(historyReads).toEqual([]);
  });

  test('a stream behind the newest message reads the rest first; a refused start leaves nothing listened to', async () => {
    const { source, router } = setup();
    const historyReads: number[] = [];
    const stored = [4, 5].map((seq) => ({ message: message(ROOM_A, seq), bookmarked: false }));
    const behind: RoomReads = {
      start: async () => ({ afterSeq: 3, newestSeq: 5 }),
      history: async (after) => {
        historyReads.push(after);
        return stored.filter((m) => m.message.seq > after);
      },
    };
    const stream = await router.openRoom(ROOM_A, 'viewer', behind);
    expect(((await stream.next()).value as ViewedMessage).message.seq).toBe(4);
    expect(((await stream.next()).value as ViewedMessage).message.seq).toBe(5);
    expect(historyReads).toEqual([3]);
    await stream.return();

    const refused: RoomReads = { start: async () => Promise.reject(new Error('FORBIDDEN')), history: async () => [] };
    await expect(router.openRoom(ROOM_B, 'viewer', refused)).rejects.toThrow('FORBIDDEN');
    await Promise.resolve();
    expect(source.channels()).toEqual([]);
    expect(router.openStreams).toBe(0);
  });
});
