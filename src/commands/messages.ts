import type { MessageRecord, PublicUser } from '../contracts/records';
import { badInput, notFound } from '../errors';
import { LIMITS } from '../rules';
import { messageEvent, messageId, refuseNonMember, type Decide, type RoomView } from './decision';
import type { Appended } from './rooms';

export interface SendChatState {
  /** Locked: one room's messages are numbered one at a time. */
  room: RoomView | null;
  sender: PublicUser | null;
  /** The room's message with the command's clientMessageId, when there is one. */
  earlier: { message: MessageRecord; bookmarked: boolean } | null;
  now: string;
  /** Members of the room (for Message.unreadBy: all but the sender have their marker below a new message); absent: not loaded. */
  memberCount?: number;
}

export const decideSendChat: Decide<'SendChat', SendChatState, Appended> = ({ id, payload }, state) => {
  const refused = refuseNonMember(state.room);
  if (refused) return refused;
  // A resend of a message this room already has: answer with the first one, publish nothing.
  if (state.earlier) return { result: state.earlier, events: [], writes: null };
  const { roomId, body, clientMessageId, attachment } = payload;
  const message: MessageRecord = {
    id: messageId(id, 0),
    roomId,
    seq: state.room!.lastSeq + 1,
    kind: attachment ? 'FILE' : 'TEXT',
    body,
    sender: state.sender,
    attachment,
    clientMessageId,
    system: null,
    createdAt: state.now,
    ...(state.memberCount === undefined ? {} : { unreadBy: state.memberCount - 1 }),
  };
  return { result: { message, bookmarked: false }, events: [messageEvent(message)], writes: { roomId, messages: [message] } };
};

export interface BookmarkState {
  message: MessageRecord | null;
  /** Whether the user is a member of the message's room. */
  isMember: boolean;
  alreadyBookmarked: boolean;
  /** How many bookmarks the user has. */
  bookmarkCount: number;
}
export interface BookmarkChange {
  userId: string;
  messageId: string;
  bookmarked: boolean;
}

/** Bookmarking twice keeps the first bookmark (the store ignores the second). */
export const decideBookmark: Decide<'Bookmark', BookmarkState, BookmarkChange> = ({ actorId: userId, payload }, state) => {
  if (!state.message) return notFound('no such message');
  const refused = refuseNonMember({ lastSeq: state.message.seq, isMember: state.isMember });
  if (refused) return refused;
  // Bounded, as `bookmarks` is priced by it; taking a bookmark off is always allowed.
  if (payload.bookmarked && !state.alreadyBookmarked && state.bookmarkCount >= LIMITS.bookmarksMax) {
    return badInput(`you have ${LIMITS.bookmarksMax} bookmarks, the most allowed; remove one first`);
  }
  return {
    result: { message: state.message },
    events: [],
    writes: { userId, messageId: payload.messageId, bookmarked: payload.bookmarked },
  };
};
