import {
  RECORD_VERSION,
  type MessageChangedEvent,
  type MessageRecord,
  type ReactionRecord,
} from '../contracts/records';
import { UserError, badInput, forbidden, muted, notFound } from '../errors';
import { LIMITS } from '../rules';
import { isMuted, type Decide, type Decision } from './decision';

/**
 * Edits, deletions and reactions: each changes one message, raises its
 * version by one and announces it as it is now (message-changed). A change
 * that changes nothing (the same body, a second deletion, a reaction already
 * there) is answered with the message and announces nothing.
 */

/** What a change of a message is decided on; the store loads it with the message's row locked. */
export interface MessageChangeState {
  /** The message as it is now, with its replyTo and reactions; null when none has that id. */
  message: MessageRecord | null;
  /** Whether the actor is a member of the message's room now. */
  isMember: boolean;
  now: string;
  /** Until when the moderation observer muted the actor (null: never); absent: not loaded. */
  mutedUntil?: string | null;
}

/** What the store writes: the message's new row (body, attachment, version...) and the reaction added or removed. */
export interface MessageChange {
  message: MessageRecord;
  reaction: { emoji: string; userId: string; add: boolean } | null;
  /** A deletion drops the message's reactions. */
  clearReactions: boolean;
}

/** The fields a new message starts with. */
export function newMessageFields(replyTo: MessageRecord | null): Pick<MessageRecord, 'replyTo' | 'version' | 'editedAt' | 'deleted' | 'reactions'> {
  return { replyTo: replyTo ? replyPreview(replyTo) : null, version: 1, editedAt: null, deleted: false, reactions: [] };
}

/** A replied-to message as a reply carries it: without its own replyTo and reactions, so records stay bounded. */
export const replyPreview = (original: MessageRecord): MessageRecord => ({ ...original, replyTo: null, reactions: [] });

export const messageChangedEvent = (message: MessageRecord): MessageChangedEvent => ({ v: RECORD_VERSION, type: 'message-changed', message });

/** Emoji compared by code point (as PostgreSQL's "C" collation orders them), not by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** The order of Message.reactions: the most used first, then by emoji. The store reads them in the same order. */
export function orderReactions(reactions: ReactionRecord[]): ReactionRecord[] {
  return [...reactions].sort((a, b) => b.userIds.length - a.userIds.length || compareCodePoints(a.emoji, b.emoji));
}

type ChangeCommand = 'EditMessage' | 'DeleteMessage' | 'AddReaction' | 'RemoveReaction';

/** The message when it is in the command's room, else NOT_FOUND (a message id of another room names nothing there). */
function messageOf(state: MessageChangeState, roomId: string): MessageRecord | null {
  return state.message && state.message.roomId === roomId ? state.message : null;
}

function unchanged<T extends ChangeCommand>(message: MessageRecord): Decision<T, MessageChange> {
  return { result: { message }, events: [], writes: null } as Decision<T, MessageChange>;
}

function changed<T extends ChangeCommand>(
  message: MessageRecord,
  reaction: MessageChange['reaction'] = null,
  clearReactions = false,
): Decision<T, MessageChange> {
  const next = { ...message, version: (message.version ?? 1) + 1 };
  return {
    result: { message: next },
    events: [messageChangedEvent(next)],
    writes: { message: next, reaction, clearReactions },
  } as Decision<T, MessageChange>;
}

export const decideEditMessage: Decide<'EditMessage', MessageChangeState, MessageChange> = ({ actorId, payload }, state) => {
  const message = messageOf(state, payload.roomId);
  if (!message) return notFound('no such message');
  if (message.sender?.id !== actorId) return forbidden('only the sender can edit a message');
  if (isMuted(state.mutedUntil, state.now)) return muted(state.mutedUntil!);
  if (!state.isMember) return forbidden('only members of this room can do that');
  if (message.kind !== 'TEXT' && message.kind !== 'FILE') return badInput('only TEXT and FILE messages can be edited');
  if (message.deleted) return badInput('a deleted message cannot be edited');
  if (message.kind === 'TEXT' && payload.body.trim().length === 0) return badInput('body must not be empty or only white space');
  if (payload.body.length > LIMITS.bodyMax) return badInput(`body must be at most ${LIMITS.bodyMax} characters`);
  if (payload.body === message.body) return unchanged(message);
  return changed({ ...message, body: payload.body, editedAt: state.now });
};

/** The sender only, even after leaving the room: what one said can always be taken back. */
export const decideDeleteMessage: Decide<'DeleteMessage', MessageChangeState, MessageChange> = ({ actorId, payload }, state) => {
  const message = messageOf(state, payload.roomId);
  if (!message) return notFound('no such message');
  if (message.sender?.id !== actorId) return forbidden('only the sender can delete a message');
  if (message.deleted) return unchanged(message);
  return changed({ ...message, body: '', attachment: null, deleted: true, reactions: [] }, null, true);
};

/** The message a member reacts to, or why they cannot. */
function reactionTarget(state: MessageChangeState, roomId: string): MessageRecord | UserError {
  const message = messageOf(state, roomId);
  if (!message) return notFound('no such message');
  if (!state.isMember) return forbidden('only members of this room can do that');
  return message;
}

export const decideAddReaction: Decide<'AddReaction', MessageChangeState, MessageChange> = ({ actorId, payload }, state) => {
  const message = reactionTarget(state, payload.roomId);
  if (message instanceof UserError) return message;
  if (isMuted(state.mutedUntil, state.now)) return muted(state.mutedUntil!);
  if (message.deleted) return badInput('a deleted message cannot be reacted to');
  const reactions = message.reactions ?? [];
  const entry = reactions.find((r) => r.emoji === payload.emoji);
  if (entry?.userIds.includes(actorId)) return unchanged(message);
  if (!entry && reactions.length >= LIMITS.emojiPerMessageMax) {
    return badInput(`a message has at most ${LIMITS.emojiPerMessageMax} distinct emoji`);
  }
  if (entry && entry.userIds.length >= LIMITS.reactorsPerEmojiMax) {
    return badInput(`at most ${LIMITS.reactorsPerEmojiMax} people can react with one emoji`);
  }
  const next = entry
    ? reactions.map((r) => (r === entry ? { emoji: r.emoji, userIds: [...r.userIds, actorId] } : r))
    : [...reactions, { emoji: payload.emoji, userIds: [actorId] }];
  return changed({ ...message, reactions: orderReactions(next) }, { emoji: payload.emoji, userId: actorId, add: true });
};

export const decideRemoveReaction: Decide<'RemoveReaction', MessageChangeState, MessageChange> = ({ actorId, payload }, state) => {
  const message = reactionTarget(state, payload.roomId);
  if (message instanceof UserError) return message;
  const reactions = message.reactions ?? [];
  const entry = reactions.find((r) => r.emoji === payload.emoji);
  if (!entry?.userIds.includes(actorId)) return unchanged(message);
  const next = reactions
    .map((r) => (r === entry ? { emoji: r.emoji, userIds: r.userIds.filter((id) => id !== actorId) } : r))
    .filter((r) => r.userIds.length > 0);
  return changed({ ...message, reactions: orderReactions(next) }, { emoji: payload.emoji, userId: actorId, add: false });
};
