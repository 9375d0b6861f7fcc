import { createHash } from 'node:crypto';
import type { CommandEnvelope, CommandEvent, CommandResults, CommandType } from '../contracts/commands';
import { RECORD_VERSION, type MessageEvent, type MessageRecord, type RoomJoinedEvent, type SystemEventRecord } from '../contracts/records';
import { forbidden, notFound, type UserError } from '../errors';

/**
 * What a decision settles for an accepted command: the reply's result, the
 * events to publish, and what the store writes (null: nothing).
 */
export interface Decision<T extends CommandType, W> {
  result: CommandResults[T];
  events: CommandEvent<T>[];
  writes: W | null;
}

/**
 * A decision is pure: from the command and the state the store loaded, it
 * returns the decision, or the UserError that refuses the command (then
 * nothing is written). No I/O, no clock, no randomness: time comes in the state.
 */
export type Decide<T extends CommandType, S, W> = (command: CommandEnvelope<T>, state: S) => Decision<T, W> | UserError;

/** A room as seen by one user: whether they are a member and its newest seq (loaded under the room's lock when it matters). */
export interface RoomView {
  lastSeq: number;
  isMember: boolean;
}

/** NOT_FOUND without the room, FORBIDDEN when the user is not a member. */
export function refuseNonMember(room: RoomView | null): UserError | null {
  if (!room) return notFound('no such room');
  if (!room.isMember) return forbidden('only members of this room can do that');
  return null;
}

/**
 * The id of the n-th message a command appends: derived from the command id,
 * so a decision needs no randomness and the same command always names the same message.
 */
export function messageId(commandId: string, n: number): string {
  const h = createHash('sha256').update(`${commandId}/message/${n}`).digest('hex');
  // Shaped as a UUID (version 8, "custom"), which the messages.id column and the API's id checks accept.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function systemMessage(
  id: string,
  roomId: string,
  seq: number,
  body: string,
  system: SystemEventRecord,
  createdAt: string,
): MessageRecord {
  return { id, roomId, seq, kind: 'SYSTEM', body, sender: null, attachment: null, clientMessageId: null, system, createdAt };
}

export const messageEvent = (message: MessageRecord): MessageEvent => ({ v: RECORD_VERSION, type: 'message', message });

export const roomJoinedEvent = (roomId: string, userId: string): RoomJoinedEvent => ({ v: RECORD_VERSION, type: 'room-joined', userId, roomId });


/** Whether a mute (MuteUser) still holds at `now`, the transaction's time. */
export function isMuted(mutedUntil: string | null | undefined, now: string): boolean {
  return mutedUntil != null && Date.parse(mutedUntil) > Date.parse(now);
}
