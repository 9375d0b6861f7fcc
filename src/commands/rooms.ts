import { RECORD_VERSION, type MessageRecord, type PublicUser } from '../contracts/records';
import { badInput, forbidden, type UserError } from '../errors';
import { LIMITS } from '../rules';
import { messageEvent, messageId, refuseNonMember, roomJoinedEvent, systemMessage, type Decide, type RoomView } from './decision';

export interface CreateRoomState {
  /**
   * Which of the requested members are friends of the creator. A block ends a
   * friendship and none starts across one, so this also keeps a blocked user
   * from putting the blocker in a room (with the same answer, not naming the block).
   */
  friendIds: string[];
  /** How many rooms each member (the creator included) is in; absent: none. */
  roomCounts: Record<string, number>;
}
export interface NewRoom {
  roomId: string;
  name: string;
  /** The creator first. */
  memberIds: string[];
}

export const decideCreateRoom: Decide<'CreateRoom', CreateRoomState, NewRoom> = ({ actorId: creatorId, payload }, state) => {
  const others = [...new Set(payload.memberIds)].filter((id) => id !== creatorId);
  if (others.length + 1 > LIMITS.roomMembersMax) return badInput(`a room has at most ${LIMITS.roomMembersMax} members`);
  const friends = new Set(state.friendIds);
  if (!others.every((id) => friends.has(id))) return forbidden('only your friends can be added to a room');
  const full = refuseRoomsOver([creatorId, ...others], state.roomCounts, creatorId);
  if (full) return full;
  const memberIds = [creatorId, ...others];
  return {
    result: { roomId: payload.roomId },
    events: memberIds.map((userId) => roomJoinedEvent(payload.roomId, userId)),
    writes: { roomId: payload.roomId, name: payload.name, memberIds },
  };
};

/**
 * BAD_USER_INPUT when one of `userIds` is in LIMITS.roomsPerUserMax rooms
 * already: what one user's room list can hold bounds what `rooms` costs.
 * Commands of different rooms that run at once (different keys, so different
 * partitions) may each see the last place left: the bound can be passed by at
 * most one room per partition of chat.commands, and only once.
 */
function refuseRoomsOver(userIds: string[], roomCounts: Record<string, number>, actorId: string): UserError | null {
  const max = LIMITS.roomsPerUserMax;
  const full = userIds.find((id) => (roomCounts[id] ?? 0) >= max);
  if (full === undefined) return null;
  if (full === actorId) return badInput(`you are in ${max} rooms, the most allowed; leave one first`);
  return badInput(`user ${full} is in ${max} rooms, the most allowed`);
}

/** Messages appended to a room, in seq order: the room's lastSeq becomes the last one's. */
export interface Appended {
  roomId: string;
  messages: MessageRecord[];
}

export interface InviteState {
  /** Locked: membership changes and numbering of one room are applied one at a time. */
  room: RoomView | null;
  memberIds: string[];
  /** Which of the invited are friends of the inviter (blocks included, as for CreateRoom). */
  friendIds: string[];
  /** How many rooms each invited user is in; absent: none. */
  roomCounts: Record<string, number>;
  /** The inviter and the invited, those that exist. */
  users: PublicUser[];
  /** The transaction's time, as the messages' createdAt. */
  now: string;
}
export interface Invitation extends Appended {
  /** A newcomer's read marker starts at the invitation: what was said before is history, not unread. */
  newMembers: { userId: string; lastReadSeq: number }[];
}

export const decideInviteToRoom: Decide<'InviteToRoom', InviteState, Invitation> = ({ id, actorId: inviterId, payload }, state) => {
  const { roomId } = payload;
  const refused = refuseNonMember(state.room);
  if (refused) return refused;
  const { lastSeq } = state.room!;
  const current = new Set(state.memberIds);
  // Inviting someone who is a member already changes nothing.
  const joining = [...new Set(payload.userIds)].filter((userId) => !current.has(userId));
  if (joining.length === 0) return { result: { roomId }, events: [], writes: null };
  const friends = new Set(state.friendIds);
  if (!joining.every((userId) => friends.has(userId))) return forbidden('only your friends can be added to a room');
  if (current.size + joining.length > LIMITS.roomMembersMax) {
    return badInput(`a room has at most ${LIMITS.roomMembersMax} members; this one has ${current.size}`);
  }
  const full = refuseRoomsOver(joining, state.roomCounts, inviterId);
  if (full) return full;
  const users = new Map(state.users.map((user) => [user.id, user]));
  const inviter = users.get(inviterId)?.displayName;
  // Every member's marker, the newcomers' included, is below these messages; nobody sends them.
  const unreadBy = current.size + joining.length;
  const messages = joining.map((userId, i) => ({
    ...systemMessage(
      messageId(id, i),
      roomId,
      lastSeq + i + 1,
      `${inviter} invited ${users.get(userId)?.displayName}`,
      { event: 'INVITED', userId, byUserId: inviterId },
      state.now,
    ),
    unreadBy,
  }));
  return {
    result: { roomId },
    events: [...messages.map(messageEvent), ...joining.map((userId) => roomJoinedEvent(roomId, userId))],
    writes: { roomId, messages, newMembers: joining.map((userId) => ({ userId, lastReadSeq: lastSeq })) },
  };
};

export interface LeaveState {
  /** Locked, as for an invitation. */
  room: RoomView | null;
  leaver: PublicUser | null;
  now: string;
  /** Members before the leaver goes (for Message.unreadBy); absent: not loaded. */
  memberCount?: number;
}
export interface Departure extends Appended {
  userId: string;
}

export const decideLeaveRoom: Decide<'LeaveRoom', LeaveState, Departure> = ({ id, actorId: userId, payload: { roomId } }, state) => {
  const refused = refuseNonMember(state.room);
  if (refused) return refused;
  // The leaver's live streams end when they reach this message.
  const message = systemMessage(
    messageId(id, 0),
    roomId,
    state.room!.lastSeq + 1,
    `${state.leaver?.displayName} left`,
    { event: 'LEFT', userId, byUserId: null },
    state.now,
  );
  if (state.memberCount !== undefined) message.unreadBy = state.memberCount - 1;
  return { result: { roomId }, events: [messageEvent(message)], writes: { roomId, userId, messages: [message] } };
};

export interface MarkReadState {
  room: RoomView | null;
  /** The member's marker now, and the member (for the event); absent: not loaded, no event. */
  lastReadSeq?: number;
  user?: PublicUser | null;
}
export interface ReadMarker {
  roomId: string;
  userId: string;
  seq: number;
}

/** The marker only moves forward (the store keeps the greater): a late or repeated markRead never un-reads messages. */
export const decideMarkRead: Decide<'MarkRead', MarkReadState, ReadMarker> = ({ actorId: userId, payload: { roomId, seq } }, state) => {
  const refused = refuseNonMember(state.room);
  if (refused) return refused;
  const { lastSeq } = state.room!;
  if (seq > lastSeq) return badInput(`seq ${seq} is past the room's newest message (${lastSeq})`);
  const previousReadSeq = state.lastReadSeq;
  if (previousReadSeq === undefined || !state.user) return { result: { roomId }, events: [], writes: { roomId, userId, seq } };
  // Never back: a marker at or past seq changes nothing and tells nobody.
  if (seq <= previousReadSeq) return { result: { roomId }, events: [], writes: null };
  return {
    result: { roomId },
    events: [{ v: RECORD_VERSION, type: 'read-marker-moved', roomId, user: state.user, lastReadSeq: seq, previousReadSeq }],
    writes: { roomId, userId, seq },
  };
};
