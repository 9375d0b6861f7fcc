import { PRESENCE_CHANNEL, RECORD_VERSION, type PresenceEvent } from '../contracts/records';
import { errorFields, type Logger } from '../log';
import type { EventRouter } from './router';

/** How often a gateway says who is connected to it, changes or not. */
export const PRESENCE_HEARTBEAT_MS = 5_000;
/** A gateway not heard of for this long is gone with its users (killed without a word): well within 30 s. */
export const PRESENCE_EXPIRY_MS = 15_000;
const EXPIRY_CHECK_MS = 1_000;

interface Remote {
  users: Set<string>;
  /** When its last heartbeat arrived here (local clock: clocks of two hosts need not agree). */
  heardAt: number;
}

export interface PresenceHooks {
  /** Produces a heartbeat to the events topic (ephemeral: never PostgreSQL). */
  publish(event: PresenceEvent): Promise<void>;
  /** A user came online or went offline, as this gateway now sees it. */
  changed(userId: string, online: boolean): void;
  /** Record durably when a user was last seen (lastSeenAt): called by one gateway only for each going. */
  lastSeen(userId: string, at: Date): void;
}

/**
 * Who is online, across gateways, without PostgreSQL: each gateway counts its
 * own authenticated sockets per user and produces the set of its users on
 * every change and every PRESENCE_HEARTBEAT_MS to PRESENCE_CHANNEL of the
 * events topic; every gateway reads all of them. A user is online while a
 * live gateway lists them. A gateway that stops says so (a final heartbeat);
 * one killed outright stops heartbeating and is dropped after
 * PRESENCE_EXPIRY_MS. A gateway just started learns the others within one
 * heartbeat.
 */
export class Presence {
  private readonly local = new Map<string, number>();
  private readonly remotes = new Map<string, Remote>();
  /** Users seen online now, by this gateway. */
  private readonly online = new Set<string>();
  /** When each user seen here went offline (ms), until the store has it. */
  private readonly wentAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastBeat = 0;
  private unlisten: (() => void) | null = null;
  /** This gateway is stopping: the others record when its users went (from its final heartbeat). */
  private leaving = false;

  constructor(
    private readonly gatewayId: string,
    private readonly hooks: PresenceHooks,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async start(router: EventRouter): Promise<void> {
    this.unlisten = await router.listen(PRESENCE_CHANNEL, (event) => {
      if (event.type === 'presence') this.heard(event);
    });
    this.timer = setInterval(() => this.tick(), EXPIRY_CHECK_MS);
    this.timer.unref();
    this.beat();
  }

  /** The gateway begins to stop: its sockets close next, and its command bus goes with it. */
  leave(): void {
    this.leaving = true;
  }

  /** Says goodbye: this gateway's users are offline now, not at the expiry. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unlisten?.();
    const users = [...this.local.keys()];
    this.local.clear();
    for (const userId of users) this.recompute(userId, false);
    await this.hooks
      .publish({ v: RECORD_VERSION, type: 'presence', gatewayId: this.gatewayId, at: this.now(), userIds: [], final: true })
      .catch((err) => this.log.warn('could not say goodbye on the presence channel', errorFields(err)));
  }

  isOnline(userId: string): boolean {
    return this.online.has(userId);
  }

  /** When a user seen here went offline, if it is known here (the store has it too, a moment later). */
  wentOfflineAt(userId: string): Date | null {
    const at = this.wentAt.get(userId);
    return at === undefined ? null : new Date(at);
  }

  /** An authenticated socket of `userId` opened here. */
  connected(userId: string): void {
    const count = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, count);
    if (count === 1) {
      this.recompute(userId, false);
      this.beat();
    }
  }

  /** One closed. */
  disconnected(userId: string): void {
    const count = (this.local.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.local.set(userId, count);
      return;
    }
    this.local.delete(userId);
    // The last socket here: this gateway records when the user was last seen (they may be online elsewhere still).
    if (!this.leaving) this.hooks.lastSeen(userId, new Date(this.now()));
    this.recompute(userId, false);
    this.beat();
  }

  private heard(event: PresenceEvent): void {
    if (event.gatewayId === this.gatewayId) return;
    const before = this.remotes.get(event.gatewayId)?.users ?? new Set<string>();
    const users = new Set(event.userIds);
    if (event.final) this.remotes.delete(event.gatewayId);
    else this.remotes.set(event.gatewayId, { users, heardAt: this.now() });
    // A gateway that stopped said goodbye instead of recording its users' going: one of those alive does.
    const record = event.final && this.isRecorder();
    for (const userId of new Set([...before, ...users])) this.recompute(userId, record);
  }

  private tick(): void {
    const now = this.now();
    for (const [gatewayId, remote] of [...this.remotes]) {
      if (now - remote.heardAt <= PRESENCE_EXPIRY_MS) continue;
      this.remotes.delete(gatewayId);
      this.log.info('a gateway stopped heartbeating: its users are offline', { gatewayId, users: remote.users.size });
      // One gateway records the departed users' lastSeenAt: the first of those alive, by id.
      const recorder = this.isRecorder();
      for (const userId of remote.users) this.recompute(userId, recorder);
    }
    if (now - this.lastBeat >= PRESENCE_HEARTBEAT_MS) this.beat();
    // Kept only until the store surely has it, so the map stays small.
    for (const [userId, at] of this.wentAt) if (now - at > 4 * PRESENCE_EXPIRY_MS) this.wentAt.delete(userId);
  }

  /** Whether this gateway records the going of another gateway's users: the first of those alive, by id. */
  private isRecorder(): boolean {
    return !this.leaving && [this.gatewayId, ...this.remotes.keys()].sort()[0] === this.gatewayId;
  }

  /** Whether `userId` is online now; a change is told (and, with `record`, stored as lastSeenAt when they went). */
  private recompute(userId: string, record: boolean): void {
    const online = this.local.has(userId) || [...this.remotes.values()].some((remote) => remote.users.has(userId));
    if (online === this.online.has(userId)) return;
    if (online) {
      this.online.add(userId);
      this.wentAt.delete(userId);
    } else {
      this.online.delete(userId);
      const at = this.now();
      this.wentAt.set(userId, at);
      if (record) this.hooks.lastSeen(userId, new Date(at));
    }
    this.hooks.changed(userId, online);
  }

  private beat(): void {
    this.lastBeat = this.now();
    const event: PresenceEvent = { v: RECORD_VERSION, type: 'presence', gatewayId: this.gatewayId, at: this.lastBeat, userIds: [...this.local.keys()], final: false };
    this.hooks.publish(event).catch((err) => this.log.warn('could not produce a presence heartbeat', errorFields(err)));
  }
}
