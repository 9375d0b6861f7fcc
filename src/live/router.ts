import type { IHeaders } from 'kafkajs';
import { parseChatEvent, type ChatEvent, type TypingEvent } from '../contracts/records';
import { errorFields, type Logger } from '../log';
import type { Metrics } from '../observe/metrics';
import { markReceived } from '../observe/tracing';
import { LIVE_BUFFER_MAX, RoomStream, isRoomEvent, type History, type RoomEvent } from './room-stream';
import type { Semaphore } from './semaphore';

/** A record of the events topic as the router needs it. */
export interface SourceRecord {
  value: Buffer | null;
  offset: string;
  /** The record's headers: a `traceparent` there ties its delivery to the mutation's trace. */
  headers?: IHeaders;
}

/**
 * The records of the events topic, by the `channel` header (KafkaEvents over
 * Kafka; a fake in unit tests).
 */
export interface EventSource {
  /** Calls `onRecord` with every record of `channel` once the promise resolves; the id is for unsubscribe. */
  subscribe(channel: string, onRecord: (record: SourceRecord) => void): Promise<number>;
  unsubscribe(id: number): void;
}

export type Listener = (event: ChatEvent) => void;

/** Typing lapses this long after the last `typing: true` of a member in a room. */
export const TYPING_LAPSE_MS = 6_000;

/**
 * What a room stream reads of the store: once, the viewer's right to it, the
 * seq to start after and the room's newest seq as of that read; then history pages.
 */
export interface RoomReads {
  start(): Promise<{ afterSeq: number; newestSeq: number }>;
  history: History;
}

/** The listeners of one channel, and the source's subscription that feeds them all. */
interface Channel {
  listeners: Set<Listener>;
  subscription: Promise<number>;
}

/**
 * Routes the events topic to this gateway's local listeners by channel: a
 * room id to the room's streams, SESSIONS_CHANNEL to the socket registry,
 * `user:<id>` channels the same way when they come. The source is asked for a
 * channel once, however many listeners it has here, and each record is parsed
 * once.
 */
export class EventRouter {
  private readonly channels = new Map<string, Channel>();
  private readonly streams = new Set<RoomStream>();
  /**
   * The lapse of each member typing in a room with listeners here, by
   * `roomId/userId`. Every gateway times it for its own listeners, so a typist
   * whose gateway died still stops typing everywhere.
   */
  private readonly typing = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly source: EventSource,
    private readonly log: Logger,
    private readonly metrics: Pick<Metrics, 'messageFannedOut' | 'countSubscriptions'>,
    /**
     * Every store read of the room streams goes through it: their share of the
     * database pool, so a burst of subscriptions cannot take what queries need.
     */
    private readonly storeReads: Semaphore,
  ) {
    metrics.countSubscriptions(() => this.streams.size);
  }

  /** Calls `listener` with each event of `channel` from when the promise resolves on; the function returned stops that. */
  async listen(channel: string, listener: Listener): Promise<() => void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      const listeners = new Set<Listener>();
      entry = { listeners, subscription: this.source.subscribe(channel, (record) => this.route(channel, listeners, record)) };
      this.channels.set(channel, entry);
    }
    const joined = entry;
    joined.listeners.add(listener);
    try {
      await joined.subscription;
    } catch (err) {
      this.leave(channel, joined, listener);
      throw err;
    }
    return () => this.leave(channel, joined, listener);
  }

  private leave(channel: string, entry: Channel, listener: Listener): void {
    if (!entry.listeners.delete(listener) || entry.listeners.size > 0) return;
    if (this.channels.get(channel) === entry) this.channels.delete(channel);
    entry.subscription.then(
      (id) => this.source.unsubscribe(id),
      () => undefined, // never subscribed
    );
  }

  private route(channel: string, listeners: Set<Listener>, record: SourceRecord): void {
    if (listeners.size === 0) return;
    let event: ChatEvent | null;
    try {
      event = parseChatEvent(record.value);
    } catch (err) {
      this.log.warn('ignoring unreadable record on the events topic', { channel, offset: record.offset, ...errorFields(err) });
      return;
    }
    if (!event) return; // a kind this version does not know yet
    // Once per record, as it reaches this gateway's listeners: where delivery latency ends.
    if (event.type === 'message') this.metrics.messageFannedOut(event.message.createdAt);
    markReceived(`deliver ${event.type}`, record.headers);
    if (event.type === 'typing') this.timeTyping(channel, event);
    for (const listener of listeners) listener(event);
  }

  /** A `typing: true` starts (or restarts) its lapse; at the lapse the channel's listeners get a `typing: false`. */
  private timeTyping(channel: string, event: TypingEvent): void {
    const key = `${event.roomId}/${event.user.id}`;
    clearTimeout(this.typing.get(key));
    this.typing.delete(key);
    if (!event.typing) return;
    const lapse = setTimeout(() => {
      this.typing.delete(key);
      const listeners = this.channels.get(channel)?.listeners;
      for (const listener of listeners ?? []) listener({ ...event, typing: false });
    }, TYPING_LAPSE_MS);
    lapse.unref();
    this.typing.set(key, lapse);
  }

  /**
   * A room's stream for one viewer (see RoomStream), from the seq `reads.start()`
   * gives. The room's channel is listened to before that read: a message
   * committed after it is published after it too, so it comes live, and a
   * stream that starts at the newest message (no afterSeq, or a client
   * already up to date) reads no history at all, which halves the reads of a
   * reconnect storm. (A viewer refused by that read has listened for a
   * moment: the channel is let go at once.)
   */
  async openRoom(roomId: string, viewerId: string, reads: RoomReads, withLiveOnly = false): Promise<RoomStream> {
    // Events that come before the stream exists; past the stream's own bound, the store has the messages.
    const early: RoomEvent[] = [];
    let overflowed = false;
    let stream: RoomStream | null = null;
    const unlisten = await this.listen(roomId, (event) => {
      // roomMessages takes messages only; roomEvents the live-only kinds too.
      if (!isRoomEvent(event) || (!withLiveOnly && event.type !== 'message')) return;
      if (stream) stream.push(event);
      else if (early.length < LIVE_BUFFER_MAX) early.push(event);
      else overflowed = true;
    });
    let start: { afterSeq: number; newestSeq: number };
    try {
      start = await this.storeReads.run(reads.start);
    } catch (err) {
      unlisten();
      throw err;
    }
    const history: History = (after, before) => this.storeReads.run(() => reads.history(after, before));
    const caughtUp = start.afterSeq >= start.newestSeq && !overflowed;
    const opened: RoomStream = new RoomStream(
      history,
      viewerId,
      start.afterSeq,
      () => {
        this.streams.delete(opened);
        unlisten();
      },
      caughtUp,
    );
    this.streams.add(opened);
    for (const event of early) opened.push(event);
    stream = opened;
    return opened;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Ends every room stream (what is ready is still handed out). */
  closeStreams(): void {
    for (const stream of [...this.streams]) stream.close();
    for (const lapse of this.typing.values()) clearTimeout(lapse);
    this.typing.clear();
  }
}
