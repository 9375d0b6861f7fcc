import { userChannel, type AccountNoticeEvent, type ChatEvent, type PublicUser } from '../contracts/records';
import { errorFields, type Logger } from '../log';
import type { RoomView } from '../store/reads';
import type { EventRouter } from './router';
import type { Semaphore } from './semaphore';

/** What a myEvents stream hands out (the gateway maps each to its GraphQL type). */
export type UserItem =
  | { kind: 'room-changed'; room: RoomView }
  | { kind: 'room-removed'; roomId: string }
  | { kind: 'friend-changed'; user: PublicUser; friend: boolean }
  | { kind: 'presence-changed'; user: PublicUser }
  | { kind: 'account-notice'; notice: AccountNoticeEvent };

/** What the user streams read of the store: once per user per gateway, and once per event that needs it. */
export interface UserReads {
  /** The user's rooms as they see them (only `roomId` when given). */
  rooms(userId: string, roomId?: string): Promise<RoomView[]>;
  /** A room's members now. */
  members(roomId: string): Promise<PublicUser[]>;
  friends(userId: string): Promise<PublicUser[]>;
}

/** A new myEvents stream tells again its friends' presence changes of this long ago (see load()). */
export const PRESENCE_REPLAY_MS = 10_000;

/** Items a myEvents subscriber may leave untaken; past it the stream ends (live only: the client re-reads and subscribes again). */
export const USER_BUFFER_MAX = 500;

/** A live-only stream of items, pushed, bounded, ended by close(). One next() at a time. */
export class LiveQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;

  constructor(private readonly onClose: () => void) {}

  push(item: T): void {
    if (this.closed) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter({ value: item, done: false });
    } else if (this.items.length >= USER_BUFFER_MAX) this.close();
    else this.items.push(item);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Takes nothing more; what is held is still handed out, then it is done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/** One myEvents subscription: its stream and the token it was opened with (a logout of that token ends it). */
interface Subscriber {
  stream: LiveQueue<UserItem>;
  tokenId: string;
  counted?: boolean;
}

/** One user's state on this gateway, shared by all of their myEvents subscriptions here. */
interface UserState {
  userId: string;
  rooms: Map<string, RoomView>;
  friends: Map<string, PublicUser>;
  subscribers: Set<Subscriber>;
  /** Resolves once the rooms and friends are read and every channel is listened to. */
  ready: Promise<void>;
  unlisten: (() => void) | null;
  gone: boolean;
}

/** A room followed for the users here who are in it; its events are applied in order, one at a time. */
interface Follow {
  users: Set<UserState>;
  chain: Promise<void>;
  unlisten: Promise<() => void>;
}

/**
 * The myEvents streams of this gateway. Each user here is read once (rooms
 * and friends), then kept up to date from events alone: a room's channel is
 * listened to once for all the users here who are in it, and a new message
 * becomes each one's RoomChanged (lastMessage, lastSeq, unreadCount as they
 * see it) with no read at all. Reads happen once per gateway for an event
 * that needs one (members came or went), or once per user for their own
 * events (joined a room; a marker moved to somewhere before the newest message).
 */
export class UserStreams {
  private readonly users = new Map<string, UserState>();
  /** When each user's presence last changed here (ms), for the last PRESENCE_REPLAY_MS only. */
  private readonly recentPresence = new Map<string, number>();
  private readonly follows = new Map<string, Follow>();
  /** myEvents subscriptions that are listening (for tests and metrics). */
  private listening = 0;

  constructor(
    private readonly router: EventRouter,
    private readonly reads: UserReads,
    /** The subscriptions' share of the database pool. */
    private readonly storeReads: Semaphore,
    private readonly log: Logger,
  ) {}

  /** myEvents of `userId`, opened with the token `tokenId`; resolves once it is listening. */
  async open(userId: string, tokenId: string): Promise<AsyncIterableIterator<UserItem>> {
    let state = this.users.get(userId);
    if (!state) {
      const fresh: UserState = { userId, rooms: new Map(), friends: new Map(), subscribers: new Set(), ready: Promise.resolve(), unlisten: null, gone: false };
      fresh.ready = this.load(fresh);
      this.users.set(userId, fresh);
      state = fresh;
    }
    const user = state;
    const subscriber: Subscriber = { tokenId, stream: new LiveQueue<UserItem>(() => this.detach(user, subscriber)) };
    user.subscribers.add(subscriber);
    try {
      await user.ready;
    } catch (err) {
      subscriber.stream.close();
      throw err;
    }
    if (user.subscribers.has(subscriber)) {
      this.listening++;
      subscriber.counted = true;
    }
    return subscriber.stream;
  }

  /** The friends of a user with a myEvents stream here, kept up to date by FriendChanged; undefined for others. */
  friendsOf(userId: string): ReadonlyMap<string, PublicUser> | undefined {
    const user = this.users.get(userId);
    return user && !user.gone ? user.friends : undefined;
  }

  /** Users with a myEvents stream here (for tests). */
  get openUsers(): number {
    return this.users.size;
  }

  /** myEvents subscriptions set up and listening here. */
  get openSubscriptions(): number {
    return this.listening;
  }

  /** A logout: the streams opened with that token end. */
  endSession(tokenId: string): void {
    for (const user of this.users.values()) {
      for (const subscriber of [...user.subscribers]) if (subscriber.tokenId === tokenId) subscriber.stream.close();
    }
  }

  /** The account is gone: all of its streams end. */
  endUser(userId: string): void {
    for (const subscriber of [...(this.users.get(userId)?.subscribers ?? [])]) subscriber.stream.close();
  }

  /** Ends every stream (the gateway stops). */
  closeAll(): void {
    for (const user of [...this.users.values()]) this.endUser(user.userId);
  }

  /** A user came online or went offline: their friends here hear it. */
  presenceChanged(userId: string): void {
    // Kept in order of change (re-inserted), so the stale ones are at the front.
    this.recentPresence.delete(userId);
    this.recentPresence.set(userId, Date.now());
    for (const [id, at] of this.recentPresence) {
      if (Date.now() - at <= PRESENCE_REPLAY_MS) break;
      this.recentPresence.delete(id);
    }
    for (const user of this.users.values()) {
      const friend = user.friends.get(userId);
      if (friend) this.emit(user, { kind: 'presence-changed', user: friend });
    }
  }

  private async load(user: UserState): Promise<void> {
    try {
      user.unlisten = await this.router.listen(userChannel(user.userId), (event) => this.onUserEvent(user, event));
      const [rooms, friends] = await Promise.all([
        this.storeReads.run(() => this.reads.rooms(user.userId)),
        this.storeReads.run(() => this.reads.friends(user.userId)),
      ]);
      for (const friend of friends) user.friends.set(friend.id, friend);
      for (const room of rooms) user.rooms.set(room.id, room);
      // A client subscribes, then re-reads its friends; a change between its read and this stream's start
      // would reach nobody (graphql-ws does not acknowledge a subscription): the recent ones are told again.
      for (const [id, at] of this.recentPresence) {
        const friend = user.friends.get(id);
        if (friend && Date.now() - at <= PRESENCE_REPLAY_MS) this.emit(user, { kind: 'presence-changed', user: friend });
      }
      await Promise.all(rooms.map((room) => this.follow(room.id, user)));
    } catch (err) {
      this.drop(user);
      throw err;
    }
  }

  private detach(user: UserState, subscriber: Subscriber): void {
    user.subscribers.delete(subscriber);
    if (subscriber.counted) this.listening--;
    if (user.subscribers.size === 0) this.drop(user);
  }

  /** Forgets a user with no stream left here: their channels are no longer listened to for them. */
  private drop(user: UserState): void {
    if (user.gone) return;
    user.gone = true;
    if (this.users.get(user.userId) === user) this.users.delete(user.userId);
    // Still loading: what it listens to is let go once it is done.
    void user.ready
      .catch(() => undefined)
      .then(() => {
        user.unlisten?.();
        for (const roomId of user.rooms.keys()) this.unfollow(roomId, user);
      });
  }

  private emit(user: UserState, item: UserItem): void {
    for (const subscriber of user.subscribers) subscriber.stream.push(item);
  }

  private async follow(roomId: string, user: UserState): Promise<Follow> {
    let follow = this.follows.get(roomId);
    if (!follow) {
      const fresh: Follow = { users: new Set(), chain: Promise.resolve(), unlisten: Promise.resolve(() => undefined) };
      fresh.unlisten = this.router.listen(roomId, (event) => this.enqueue(fresh, () => this.onRoomEvent(roomId, fresh, event)));
      this.follows.set(roomId, fresh);
      follow = fresh;
    }
    follow.users.add(user);
    await follow.unlisten;
    return follow;
  }

  private unfollow(roomId: string, user: UserState): void {
    const follow = this.follows.get(roomId);
    if (!follow || !follow.users.delete(user) || follow.users.size > 0) return;
    this.follows.delete(roomId);
    follow.unlisten.then(
      (unlisten) => unlisten(),
      () => undefined,
    );
  }

  /** A room's events are applied one after the other, even those that wait for a read. */
  private enqueue(follow: Follow, task: () => Promise<void> | void): void {
    follow.chain = follow.chain.then(task).catch((err) => this.log.warn('a myEvents update failed', errorFields(err)));
  }

  private onUserEvent(user: UserState, event: ChatEvent): void {
    switch (event.type) {
      case 'room-joined': {
        const { roomId } = event;
        // Listened to first, then read: a message in between is in the read or comes after it (older seqs are skipped).
        void this.follow(roomId, user).then(
          (follow) =>
            this.enqueue(follow, async () => {
              const [room] = await this.storeReads.run(() => this.reads.rooms(user.userId, roomId));
              if (!room || user.gone) return;
              user.rooms.set(roomId, room);
              this.emit(user, { kind: 'room-changed', room });
            }),
          (err) => this.log.warn('could not follow a joined room', { roomId, ...errorFields(err) }),
        );
        return;
      }
      case 'friend-changed':
        if (event.isFriend) user.friends.set(event.friend.id, event.friend);
        else user.friends.delete(event.friend.id);
        this.emit(user, { kind: 'friend-changed', user: event.friend, friend: event.isFriend });
        return;
      case 'account-notice':
        this.emit(user, { kind: 'account-notice', notice: event });
        return;
    }
  }

  private async onRoomEvent(roomId: string, follow: Follow, event: ChatEvent): Promise<void> {
    switch (event.type) {
      case 'message': {
        const { message } = event;
        // Members came or went: read once for every user here.
        const members = message.system ? await this.storeReads.run(() => this.reads.members(roomId)) : null;
        for (const user of [...follow.users]) {
          const view = user.rooms.get(roomId);
          if (!view || message.seq <= view.lastSeq) continue; // not read yet, or already in the view
          if (message.system?.event === 'LEFT' && message.system.userId === user.userId) {
            user.rooms.delete(roomId);
            this.unfollow(roomId, user);
            this.emit(user, { kind: 'room-removed', roomId });
            continue;
          }
          const unread = message.sender?.id !== user.userId && message.seq > view.lastReadSeq;
          const room: RoomView = {
            ...view,
            members: members ?? view.members,
            lastSeq: message.seq,
            lastMessage: { message, bookmarked: false },
            unreadCount: view.unreadCount + (unread ? 1 : 0),
          };
          user.rooms.set(roomId, room);
          this.emit(user, { kind: 'room-changed', room });
        }
        return;
      }
      case 'read-marker-moved': {
        const user = [...follow.users].find((u) => u.userId === event.user.id);
        const view = user?.rooms.get(roomId);
        if (!user || !view || event.lastReadSeq <= view.lastReadSeq) return;
        // Read to the newest message (the usual case): nothing is unread. Else only the store can count.
        const room =
          event.lastReadSeq >= view.lastSeq
            ? { ...view, lastReadSeq: event.lastReadSeq, unreadCount: 0 }
            : (await this.storeReads.run(() => this.reads.rooms(user.userId, roomId)))[0];
        if (!room || !user.rooms.has(roomId)) return;
        user.rooms.set(roomId, room);
        this.emit(user, { kind: 'room-changed', room });
        return;
      }
      case 'message-changed':
        for (const user of follow.users) {
          const view = user.rooms.get(roomId);
          if (view?.lastMessage?.message.id !== event.message.id) continue;
          const room = { ...view, lastMessage: { ...view.lastMessage, message: event.message } };
          user.rooms.set(roomId, room);
          this.emit(user, { kind: 'room-changed', room });
        }
        return;
    }
  }
}
