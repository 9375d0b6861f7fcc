import { CloseCode } from 'graphql-ws';

/** What the registry needs of a socket (ws's WebSocket has it). */
export interface TrackedSocket {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * The open graphql-ws sockets of this gateway by the id of the token each was
 * opened with, so that a logout (its session-ended event, from whichever
 * gateway) closes them.
 */
export class SocketRegistry {
  private readonly byToken = new Map<string, Set<TrackedSocket>>();

  /** Until the socket closes. */
  track(tokenId: string, socket: TrackedSocket): void {
    let sockets = this.byToken.get(tokenId);
    if (!sockets) this.byToken.set(tokenId, (sockets = new Set()));
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.byToken.get(tokenId) === sockets) this.byToken.delete(tokenId);
    });
  }

  /** The token was revoked: its sockets close as graphql-ws closes a refused one. */
  endSession(tokenId: string): void {
    for (const socket of this.byToken.get(tokenId) ?? []) socket.close(CloseCode.Forbidden, 'Forbidden: logged out');
  }

  /** Sockets open now (for tests). */
  get size(): number {
    let count = 0;
    for (const sockets of this.byToken.values()) count += sockets.size;
    return count;
  }
}
