import type { AttachmentRecord, MessageRecord, PublicUser } from '../contracts/records';
import { uploadIdOf } from '../contracts/uploads';
import { badInput, muted, notFound, type UserError } from '../errors';
import { LIMITS } from '../rules';
import { isMuted, messageEvent, messageId, refuseNonMember, type Decide, type RoomView } from './decision';
import type { Appended } from './rooms';
import { newMessageFields } from './message-changes';

/** An upload as the worker checks it when a sendChat names it (loaded under its row lock). */
export interface UploadView {
  ownerId: string | null;
  name: string;
  contentType: string;
  size: number;
  complete: boolean;
  /** The message that sent it already, if one did. */
  messageId: string | null;
}

export interface SendChatState {
  /** Locked: one room's messages are numbered one at a time. */
  room: RoomView | null;
  sender: PublicUser | null;
  /** The room's message with the command's clientMessageId, when there is one. */
  earlier: { message: MessageRecord; bookmarked: boolean } | null;
  now: string;
  /** Until when the moderation observer muted the sender (null: never); absent: not loaded. */
  mutedUntil?: string | null;
  /** The upload the attachment names (`upload:<id>`), locked; null when there is none; absent for an external URL. */
  upload?: UploadView | null;
  /** The message named by replyToId as it is now (any room's: the decision checks), null when none has that id. */
  replyTo?: MessageRecord | null;
  /** Members of the room (for Message.unreadBy: all but the sender have their marker below a new message); absent: not loaded. */
  memberCount?: number;
}

/** What sendChat writes: the message, and the upload it binds to the room, if any. */
export interface SendChatWrites extends Appended {
  uploadId?: string;
}

/**
 * An attachment naming an upload must name one of the sender's, finished, not
 * sent yet, declared with the same name, type and size; else BAD_USER_INPUT.
 */
function refuseUpload(actorId: string, upload: UploadView | null | undefined, declared: AttachmentRecord): UserError | null {
  if (!upload || upload.ownerId !== actorId) return badInput('attachment.url names no upload of yours; create one with createUpload');
  if (!upload.complete) return badInput('this upload has not finished: PUT its bytes first');
  if (upload.messageId !== null) return badInput('this upload was sent already; upload the file again to send it again');
  if (declared.name !== upload.name || declared.contentType !== upload.contentType || declared.size !== upload.size) {
    return badInput('attachment name, contentType and size must be those given to createUpload');
  }
  return null;
}

export const decideSendChat: Decide<'SendChat', SendChatState, SendChatWrites> = ({ id, actorId, payload }, state) => {
  const refused = refuseNonMember(state.room);
  if (refused) return refused;
  // A resend of a message this room already has: answer with the first one, publish nothing.
  if (state.earlier) return { result: state.earlier, events: [], writes: null };
  if (isMuted(state.mutedUntil, state.now)) return muted(state.mutedUntil!);
  const { roomId, body, clientMessageId, attachment } = payload;
  const uploadId = attachment ? uploadIdOf(attachment.url) : null;
  if (attachment && uploadId !== null) {
    const refusedUpload = refuseUpload(actorId, state.upload, attachment);
    if (refusedUpload) return refusedUpload;
  }
  const replyToId = payload.replyToId ?? null;
  if (replyToId !== null) {
    if (!state.replyTo) return notFound('no such message to reply to');
    if (state.replyTo.roomId !== roomId) return badInput('a reply must answer a message of the same room');
  }
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
    ...newMessageFields(replyToId !== null ? state.replyTo! : null),
    ...(state.memberCount === undefined ? {} : { unreadBy: state.memberCount - 1 }),
  };
  return { result: { message, bookmarked: false }, events: [messageEvent(message)], writes: { roomId, messages: [message], ...(uploadId === null ? {} : { uploadId }) } };
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
