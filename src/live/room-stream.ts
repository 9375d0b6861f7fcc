import type { ChatEvent, MessageEvent, RoomChannelEvent, ViewedMessage } from '../contracts/records';

/** Stored messages with afterSeq < seq < beforeSeq, ascending, at most HISTORY_PAGE of them. */
export type History = (afterSeq: number, beforeSeq?: number) => Promise<ViewedMessage[]>;
export const HISTORY_PAGE = 500;
/**
 * Live events a stream holds while its subscriber is not taking them (or
 * while it catches up). Past this the buffer is dropped and the messages are
 * read from the store instead, when the subscriber wants them.
 */
export const LIVE_BUFFER_MAX = HISTORY_PAGE;

/** The events a room's channel carries. A new kind is added here; all but messages are live only. */
export type RoomEvent = RoomChannelEvent;
const ROOM_EVENT_TYPES: ReadonlySet<ChatEvent['type']> = new Set<RoomEvent['type']>(['message', 'message-changed', 'read-marker-moved', 'typing']);
export const isRoomEvent = (event: ChatEvent): event is RoomEvent => ROOM_EVENT_TYPES.has(event.type);

/** Room events that are not stored: passed through in arrival order, never gap-filled (clients re-read after a reconnect). */
export type LiveOnlyRoomEvent = Exclude<RoomEvent, MessageEvent>;
const isLiveOnly = (event: RoomEvent): event is LiveOnlyRoomEvent => event.type !== 'message';
/** What a room stream hands out. */
export type RoomItem = ViewedMessage | LiveOnlyRoomEvent;

/** A gap to fill from the store: messages after lastSeq and before `beforeSeq` (to the newest when undefined). */
type Gap = { beforeSeq: number | undefined };
type Waiter = { resolve(result: IteratorResult<RoomItem>): void; reject(err: unknown): void };

/**
 * One subscriber's view of a room: the messages after `lastSeq` in seq order,
 * each once, stored ones first, then live ones, ending at the viewer's own
 * LEFT message; live-only events pass through in arrival order.
 *
 * Pulled, not pushed: the store is read only when the subscriber waits for an
 * item and none is ready, a page at a time, so a subscriber that stops taking
 * holds at most one page and LIVE_BUFFER_MAX live events.
 *
 * The caller subscribes to the room's live events before the first next(),
 * so nothing falls between the stored messages and the live ones. One next()
 * at a time, as `for await` and graphql-js call it.
 */
export class RoomStream implements AsyncIterableIterator<RoomItem> {
  /** Live events not yet looked at, at most LIVE_BUFFER_MAX. */
  private readonly arrived: RoomEvent[] = [];
  /** Items for the subscriber: at most one history page, or live items one by one. */
  private readonly ready: RoomItem[] = [];
  /** Stored messages still to be read before `arrived` goes on; the whole room's rest at first, unless caught up. */
  private gap: Gap | null;
  /** The seq whose gap was filled last: if the store lacked something, that message goes on anyway instead of reading again. */
  private filledBefore = -1;
  private waiter: Waiter | null = null;
  private failure: unknown = null;
  /** No more items will be added; what is ready is still handed out. */
  private closed = false;
  private pumping = false;

  constructor(
    private readonly history: History,
    private readonly viewerId: string,
    /** The seq of the last message made ready. */
    private lastSeq: number,
    private readonly onClose: () => void,
    /**
     * Nothing is stored after lastSeq as of a read made after this stream's
     * events started to arrive: no history to read first (a hole in the
     * live events is still filled from the store).
     */
    caughtUp = false,
  ) {
    this.gap = caughtUp ? null : { beforeSeq: undefined };
  }

  /** Live events buffered now (for tests and the bound). */
  get buffered(): number {
    return this.arrived.length;
  }

  push(event: RoomEvent): void {
    if (this.closed) return;
    if (this.arrived.length >= LIVE_BUFFER_MAX) {
      // The subscriber is far behind: the store has every message dropped here (events are published after
      // their commit); live-only events dropped are lost, as at any reconnect.
      this.arrived.length = 0;
      this.gap = { beforeSeq: undefined };
    }
    this.arrived.push(event);
    if (this.waiter) void this.pump();
  }

  next(): Promise<IteratorResult<RoomItem>> {
    if (this.ready.length > 0) return Promise.resolve({ value: this.ready.shift()!, done: false });
    if (this.failure !== null) {
      const err = this.failure;
      this.failure = null;
      return Promise.reject(err);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      void this.pump();
    });
  }

  /** Fills `ready` while the subscriber waits; one pump at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // Again if an event came in after fill() last looked: its caller resumes a tick later.
      do await this.fill();
      while (this.ready.length === 0 && this.arrived.length > 0 && !this.closed);
    } catch (err) {
      this.failure = err;
      this.close();
    } finally {
      this.pumping = false;
    }
    this.settle();
  }

  /** Makes at least one item ready, unless there is nothing to make ready yet. */
  private async fill(): Promise<void> {
    while (this.ready.length === 0 && !this.closed) {
      const gap = this.gap;
      if (gap) {
        const page = await this.history(this.lastSeq, gap.beforeSeq);
        // A buffer dropped meanwhile replaced the gap with one to the newest message: that one is still to read.
        if (page.length < HISTORY_PAGE && this.gap === gap) {
          this.gap = null;
          if (gap.beforeSeq !== undefined) this.filledBefore = gap.beforeSeq;
        }
        for (const item of page) this.deliver(item);
        continue;
      }
      const event = this.arrived.shift();
      if (!event) return;
      if (isLiveOnly(event)) {
        this.ready.push(event);
        continue;
      }
      const { seq } = event.message;
      if (seq <= this.lastSeq) continue; // already delivered (stored, or an earlier copy)
      if (seq > this.lastSeq + 1 && this.filledBefore !== seq) {
        this.arrived.unshift(event);
        this.gap = { beforeSeq: seq };
        continue;
      }
      this.deliver({ message: event.message, bookmarked: false });
    }
  }

  private deliver(item: ViewedMessage): void {
    if (this.closed || item.message.seq <= this.lastSeq) return;
    this.lastSeq = item.message.seq;
    const { system } = item.message;
    if (system?.event === 'LEFT' && system.userId === this.viewerId) {
      // The viewer left the room: nothing from here on is theirs to read.
      this.close();
      return;
    }
    this.ready.push(item);
  }

  /** Answers a waiting next() if there is an answer now. */
  private settle(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.ready.length > 0) waiter.resolve({ value: this.ready.shift()!, done: false });
    else if (this.failure !== null) {
      const err = this.failure;
      this.failure = null;
      waiter.reject(err);
    } else if (this.closed) waiter.resolve({ value: undefined, done: true });
    else return;
    this.waiter = null;
  }

  /** The subscriber went away: nothing more is handed out. */
  return(): Promise<IteratorResult<RoomItem>> {
    this.ready.length = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Takes no more events; what is ready is still handed out, then the stream is done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.arrived.length = 0;
    this.gap = null;
    this.onClose();
    if (!this.pumping) this.settle();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RoomItem> {
    return this;
  }
}
