import type { MessageEvent, MessageRecord, SystemEventRecord, ViewedMessage } from '../../src/contracts/records';
import { HISTORY_PAGE, LIVE_BUFFER_MAX, RoomStream, type RoomItem } from '../../src/live/room-stream';

const ROOM = '00000000-0000-4000-8000-000000000001';
const VIEWER = '00000000-0000-4000-8000-0000000000aa';
const OTHER = '00000000-0000-4000-8000-0000000000bb';

function message(seq: number, system: SystemEventRecord | null = null): MessageRecord {
  return {
    id: `m${seq}`,
    roomId: ROOM,
    seq,
    kind: system ? 'SYSTEM' : 'TEXT',
    body: `body ${seq}`,
    sender: null,
    attachment: null,
    clientMessageId: null,
    system,
    createdAt: new Date().toISOString(),
  };
}

const event = (m: MessageRecord): MessageEvent => ({ v: 1, type: 'message', message: m });

/** The room's stored messages, as the store's history read pages them; counts the pages read. */
class FakeStore {
  readonly messages: MessageRecord[] = [];
  pagesRead = 0;
  failWith: Error | null = null;

  add(...messages: MessageRecord[]): void {
    this.messages.push(...messages);
  }

  addRange(from: number, to: number): void {
    for (let seq = from; seq <= to; seq++) this.add(message(seq));
  }

  history = async (afterSeq: number, beforeSeq?: number): Promise<ViewedMessage[]> => {
    this.pagesRead++;
    await Promise.resolve(); // a real read answers later
    if (this.failWith) throw this.failWith;
    return this.messages
      .filter((m) => m.seq > afterSeq && (beforeSeq === undefined || m.seq < beforeSeq))
      .slice(0, HISTORY_PAGE)
      .map((m) => ({ message: m, bookmarked: m.seq % 2 === 0 }));
  };
}

/** Lets every pending promise and timer-free callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const seqOf = (item: RoomItem) => (item as ViewedMessage).message.seq;

async function take(stream: RoomStream, count: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = await stream.next();
    if (result.done) break;
    seqs.push(seqOf(result.value));
  }
  return seqs;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function open(store: FakeStore, afterSeq: number) {
  const closed = { count: 0 };
  const stream = new RoomStream((after, before) => store.history(after, before), VIEWER, afterSeq, () => closed.count++);
  return { stream, closed };
}

describe('RoomStream', () => {
  test('hands out stored messages after afterSeq, then live ones, in seq order, each once', async () => {
    const store = new FakeStore();
    store.addRange(1, 5);
    const { stream } = open(store, 2);
    // Live events that arrive while the stored ones are read overlap them: the copies are dropped.
    stream.push(event(message(4)));
    stream.push(event(message(5)));
    store.addRange(6, 7);
    stream.push(event(message(6)));
    stream.push(event(message(7)));
    expect(await take(stream, 5)).toEqual([3, 4, 5, 6, 7]);
  });

  test('stored messages keep what the store says of the viewer (bookmarked); live ones are not bookmarked', async () => {
    const store = new FakeStore();
    store.addRange(1, 2);
    const { stream } = open(store, 0);
    stream.push(event(message(3)));
    const items: ViewedMessage[] = [];
    for (let i = 0; i < 3; i++) items.push((await stream.next()).value as ViewedMessage);
    expect(items.map((i) => [i.message.seq, i.bookmarked])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
  });

  test('reads the next history page only when the subscriber has taken the last one', async () => {
    const store = new FakeStore();
    store.addRange(1, 20_000);
    const { stream } = open(store, 0);
    await settle();
    expect(store.pagesRead).toBe(0); // nothing is read before the subscriber asks

    expect(await take(stream, 1)).toEqual([1]);
    // The subscriber pauses: however long, no further page is read.
    for (let i = 0; i < 20; i++) await settle();
    expect(store.pagesRead).toBe(1);

    expect(await take(stream, HISTORY_PAGE - 1)).toEqual(range(2, HISTORY_PAGE));
    expect(store.pagesRead).toBe(1);
    expect(await take(stream, 1)).toEqual([HISTORY_PAGE + 1]);
    expect(store.pagesRead).toBe(2);

    const rest = await take(stream, 20_000 - HISTORY_PAGE - 1);
    expect(rest).toEqual(range(HISTORY_PAGE + 2, 20_000));
    expect(store.pagesRead).toBe(20_000 / HISTORY_PAGE);
  });

  test('a live message after a hole is preceded by the missing ones from the store', async () => {
    const store = new FakeStore();
    store.addRange(1, 10);
    const { stream } = open(store, 10);
    const first = stream.next();
    store.addRange(11, 14);
    stream.push(event(message(11)));
    expect(seqOf((await first).value as RoomItem)).toBe(11);
    stream.push(event(message(14))); // 12 and 13 never arrived live
    expect(await take(stream, 3)).toEqual([12, 13, 14]);
  });

  test('a waiting subscriber gets a live message as it arrives', async () => {
    const store = new FakeStore();
    const { stream } = open(store, 0);
    const waiting = stream.next();
    await settle();
    store.add(message(1));
    stream.push(event(message(1)));
    expect(seqOf((await waiting).value as RoomItem)).toBe(1);
  });

  test('live events held for a subscriber that takes none are bounded; past the bound the store fills in', async () => {
    const store = new FakeStore();
    const { stream } = open(store, 0);
    const total = LIVE_BUFFER_MAX * 3 + 7;
    let most = 0;
    for (let seq = 1; seq <= total; seq++) {
      store.add(message(seq));
      stream.push(event(message(seq)));
      most = Math.max(most, stream.buffered);
    }
    expect(most).toBeLessThanOrEqual(LIVE_BUFFER_MAX);
    expect(stream.buffered).toBeLessThan(LIVE_BUFFER_MAX);
    await settle();
    const pagesBefore = store.pagesRead;
    expect(await take(stream, total)).toEqual(range(1, total));
    expect(store.pagesRead).toBeGreaterThan(pagesBefore); // the dropped ones came from the store
  });

  test('the buffer dropped while a page is being read: the stream reads on to the newest message, missing nothing', async () => {
    const store = new FakeStore();
    store.addRange(1, 3);
    const { stream } = open(store, 0);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = store.history;
    store.history = async (afterSeq, beforeSeq) => {
      await gate;
      return read(afterSeq, beforeSeq);
    };
    const first = stream.next(); // starts reading the stored messages, held at the gate
    await settle();
    const total = LIVE_BUFFER_MAX + 10;
    for (let seq = 4; seq <= total; seq++) {
      store.add(message(seq));
      stream.push(event(message(seq)));
    }
    release();
    expect(seqOf((await first).value as RoomItem)).toBe(1);
    expect(await take(stream, total - 1)).toEqual(range(2, total));
  });

  test("ends at the viewer's own LEFT message, not at someone else's", async () => {
    const store = new FakeStore();
    store.add(
      message(1),
      message(2, { event: 'LEFT', userId: OTHER, byUserId: null }),
      message(3),
      message(4, { event: 'LEFT', userId: VIEWER, byUserId: null }),
      message(5),
    );
    const { stream, closed } = open(store, 0);
    expect(await take(stream, 10)).toEqual([1, 2, 3]);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(closed.count).toBe(1);
  });

  test('a failed store read fails the waiting next(), then the stream is done', async () => {
    const store = new FakeStore();
    store.failWith = new Error('store down');
    const { stream, closed } = open(store, 0);
    await expect(stream.next()).rejects.toThrow('store down');
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(closed.count).toBe(1);
  });

  test('return() ends the stream once; a next() waiting for a live message ends with it', async () => {
    const store = new FakeStore();
    const { stream, closed } = open(store, 0);
    const waiting = stream.next();
    await settle();
    await stream.return();
    await stream.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    stream.push(event(message(1)));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(closed.count).toBe(1);
  });

  test('close() from the server still hands out what is ready, then ends', async () => {
    const store = new FakeStore();
    store.addRange(1, 3);
    const { stream } = open(store, 0);
    expect(await take(stream, 1)).toEqual([1]);
    stream.close();
    expect(await take(stream, 10)).toEqual([2, 3]);
  });
});
