import { CloseCode } from 'graphql-ws';
import type { Viewer } from './auth';

/** What the registry needs of a socket (ws's WebSocket has it). */
export interface TrackedSocket {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
  /** Bytes sent but not yet taken by the network: they pile up while the client does not read. */
  readonly bufferedAmount: number;
}

/**
 * WebSocket's 1013 Try Again Later (graphql-ws's CloseCode has no name for it):
 * what a socket is closed with when its client stopped reading, or its token
 * cannot be checked because PostgreSQL is unreachable. graphql-ws clients
 * reconnect on it (their 4500 and 1011 would make them give up for good), and
 * resubscribing with afterSeq gives them what they missed.
 */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/**
 * The close code of a socket over a cap: 4429, the number of graphql-ws's
 * CloseCode.TooManyInitialisationRequests and HTTP's 429. graphql-ws clients
 * take it as final and do not retry on their own, which is the point: more
 * sockets from the same user or address would be refused the same way.
 */
export const CLOSE_TOO_MANY_SOCKETS = CloseCode.TooManyInitialisationRequests;

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const TIMER_MAX_MS = 2 ** 31 - 1;

/** 0 turns a cap off. */
export interface SocketCaps {
  perUser: number;
  perAddress: number;
}

/**
 * The open graphql-ws sockets of this gateway: counted per client address
 * (from the upgrade on) and per user (once the token is checked), so one
 * client cannot hold the gateway's memory; by token, so that a logout (its
 * session-ended event, from whichever gateway) closes them; each closed when
 * its token expires.
 */
export class SocketRegistry {
  private readonly byToken = new Map<string, Set<TrackedSocket>>();
  /** The tokens of each user with a socket open here (for account deletion). */
  private readonly tokensByUser = new Map<string, Set<string>>();
  private readonly perUser = new Map<string, number>();
  private readonly perAddress = new Map<string, number>();
  /** Every open socket, and since when (ms) it has had unsent bytes at each look; 0: none at the last look. */
  private readonly unsentSince = new Map<TrackedSocket, number>();

  constructor(
    private readonly caps: SocketCaps,
    /** Told of each socket closed for being over a cap (metrics). */
    private readonly refused: (cap: 'user' | 'address') => void = () => undefined,
  ) {}

  /** A socket was opened from `address`: counted until it closes, or closed at once (4429) when the address is over its cap. */
  opened(address: string, socket: TrackedSocket): boolean {
    const { perAddress } = this.caps;
    if (!count(this.perAddress, address, perAddress, socket)) {
      socket.close(CLOSE_TOO_MANY_SOCKETS, `Too many connections: at most ${perAddress} open sockets per client address`);
      this.refused('address');
      return false;
    }
    this.unsentSince.set(socket, 0);
    socket.once('close', () => this.unsentSince.delete(socket));
    return true;
  }

  /**
   * Closes (1013) the sockets that had unsent bytes at every look for
   * `unreadMs`: their client stopped reading (a frozen tab, a dead network).
   * What a subscription sends waits for the network, so such a socket holds
   * its subscriptions' pages and live buffers for as long as it stays open.
   * Called every few seconds; `unreadMs` 0 turns it off.
   */
  closeUnread(unreadMs: number, now = Date.now()): void {
    if (unreadMs <= 0) return;
    for (const [socket, since] of this.unsentSince) {
      if (socket.bufferedAmount === 0) this.unsentSince.set(socket, 0);
      else if (since === 0) this.unsentSince.set(socket, now);
      else if (now - since >= unreadMs) {
        this.unsentSince.delete(socket);
        socket.close(CLOSE_TRY_AGAIN_LATER, `Try again later: nothing was read for ${Math.round(unreadMs / 1000)} s`);
      }
    }
  }

  /**
   * A socket's token was checked: counted for its user (closed at once with
   * 4429 when the user is over the cap, and false returned), closed by a
   * logout of the token and, with 4403, when the token expires.
   */
  track(viewer: Viewer, socket: TrackedSocket): boolean {
    const { perUser } = this.caps;
    if (!count(this.perUser, viewer.userId, perUser, socket)) {
      socket.close(CLOSE_TOO_MANY_SOCKETS, `Too many connections: at most ${perUser} open sockets per user`);
      this.refused('user');
      return false;
    }
    const { tokenId, userId } = viewer;
    let sockets = this.byToken.get(tokenId);
    if (!sockets) this.byToken.set(tokenId, (sockets = new Set()));
    sockets.add(socket);
    let tokens = this.tokensByUser.get(userId);
    if (!tokens) this.tokensByUser.set(userId, (tokens = new Set()));
    tokens.add(tokenId);
    const expiry = closeAt(socket, viewer.expiresAt.getTime());
    socket.once('close', () => {
      clearTimeout(expiry.timer);
      sockets.delete(socket);
      if (sockets.size === 0 && this.byToken.get(tokenId) === sockets) {
        this.byToken.delete(tokenId);
        tokens.delete(tokenId);
        if (tokens.size === 0 && this.tokensByUser.get(userId) === tokens) this.tokensByUser.delete(userId);
      }
    });
    return true;
  }

  /** The token was revoked: its sockets close as graphql-ws closes a refused one. */
  endSession(tokenId: string): void {
    for (const socket of this.byToken.get(tokenId) ?? []) socket.close(CloseCode.Forbidden, 'Forbidden: logged out');
  }

  /** The user's account was deleted: every socket of theirs closes, whichever token it was opened with. */
  endUser(userId: string): void {
    for (const tokenId of this.tokensByUser.get(userId) ?? []) {
      for (const socket of this.byToken.get(tokenId) ?? []) socket.close(CloseCode.Forbidden, 'Forbidden: account deleted');
    }
  }

  /** Sockets open now with a checked token (for tests). */
  get size(): number {
    let count = 0;
    for (const sockets of this.byToken.values()) count += sockets.size;
    return count;
  }

  /** Sockets open now that have not been closed by the registry (for tests). */
  get open(): number {
    return this.unsentSince.size;
  }

  /** Sockets counted now for `address` (for tests). */
  openFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }
}

/** Counts `socket` under `key` until it closes, unless `key` already has `cap` (0: no cap). */
function count(counts: Map<string, number>, key: string, cap: number, socket: TrackedSocket): boolean {
  const n = counts.get(key) ?? 0;
  if (cap > 0 && n >= cap) return false;
  counts.set(key, n + 1);
  socket.once('close', () => {
    const left = (counts.get(key) ?? 1) - 1;
    if (left > 0) counts.set(key, left);
    else counts.delete(key);
  });
  return true;
}

/** Closes the socket with 4403 at `at` (ms); one timer per socket, re-armed when the time is further than a timer reaches. */
function closeAt(socket: TrackedSocket, at: number): { timer: NodeJS.Timeout | undefined } {
  const expiry: { timer: NodeJS.Timeout | undefined } = { timer: undefined };
  const arm = () => {
    const left = at - Date.now();
    if (left <= 0) {
      socket.close(CloseCode.Forbidden, 'Forbidden: token expired; log in again');
      return;
    }
    expiry.timer = setTimeout(arm, Math.min(left, TIMER_MAX_MS));
    expiry.timer.unref();
  };
  arm();
  return expiry;
}
