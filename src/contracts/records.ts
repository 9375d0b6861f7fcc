/**
 * The Kafka record formats shared by the gateway and the worker: message
 * events (chat.messages), replies (chat.replies) and what they carry; the
 * commands (chat.commands) are declared in ./commands. Values are JSON; this
 * file imports nothing so both sides agree on one shape.
 */

export const RECORD_VERSION = 1;

/** Header naming the gateway instance that waits for a command's reply. */
export const REPLY_TO_HEADER = 'reply-to';
/**
 * Header naming the partition of chat.replies the waiting gateway reads (a
 * decimal number): the worker produces the reply there, so each gateway
 * fetches only its own partition. Without it, the reply is keyed by reply-to.
 */
export const REPLY_PARTITION_HEADER = 'reply-partition';
/** Header graphql-kafkajs-subscriptions routes events by: the room id for room messages, else SESSIONS_CHANNEL. */
export const CHANNEL_HEADER = 'channel';
/** The channel of session events; every gateway reads it (room ids are UUIDs, so it cannot collide). */
export const SESSIONS_CHANNEL = 'sessions';

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  statusMessage: string;
  createdAt: string;
  lastLoginAt: string | null;
  lastLogoutAt: string | null;
  /** When the user's last connection closed (durable; shown to friends only); absent where it was not read. */
  lastSeenAt?: string | null;
}

export interface AttachmentRecord {
  name: string;
  contentType: string;
  size: number;
  url: string;
}

export type MessageKind = 'TEXT' | 'FILE' | 'SYSTEM';

/** What a SYSTEM message records, so consumers can act on it (a leaver's live stream ends at their LEFT). */
export interface SystemEventRecord {
  event: 'INVITED' | 'LEFT';
  /** The user who was invited or left. */
  userId: string;
  /** Who invited them; null for LEFT. */
  byUserId: string | null;
}

/** A stored message as events and replies carry it: complete, so fan-out needs no database read. */
export interface MessageRecord {
  id: string;
  roomId: string;
  seq: number;
  kind: MessageKind;
  body: string;
  sender: PublicUser | null;
  attachment: AttachmentRecord | null;
  clientMessageId: string | null;
  /** Set on SYSTEM messages only; absent in events written before it existed. */
  system?: SystemEventRecord | null;
  createdAt: string;
  // The fields below are absent in records written before edits, replies and reactions existed: read them as null, 1, false, [].
  /** The message this one answers, as it was when this record was made (its own replyTo and reactions left out). */
  replyTo?: MessageRecord | null;
  /** 1 when sent, +1 on every edit, deletion and change of reactions. */
  version?: number;
  editedAt?: string | null;
  /** A tombstone: body empty, attachment null. */
  deleted?: boolean;
  /** Ordered by count, then emoji; with who reacted, so each subscriber's byViewer needs no database read. */
  reactions?: ReactionRecord[];
  /**
   * Members other than the sender whose read marker was below this message when
   * the record was made (Message.unreadBy); absent in records that predate it.
   */
  unreadBy?: number;
}

/** One emoji on a message and who reacted with it (at most LIMITS.reactorsPerEmojiMax, so a record stays bounded). */
export interface ReactionRecord {
  emoji: string;
  userIds: string[];
}

export interface ReplyError {
  code: string;
  message: string;
  /** A user error's extensions beside the code (reason, until...). */
  details?: Record<string, unknown>;
}
export type Reply =
  | { v: number; commandId: string; ok: true; result: unknown }
  | { v: number; commandId: string; ok: false; error: ReplyError };

/** A new message of a room: key and channel are the room id. */
export interface MessageEvent {
  v: number;
  type: 'message';
  message: MessageRecord;
}

/** A token was revoked (logout): gateways close the sockets opened with it. Key: the user id; channel: SESSIONS_CHANNEL. */
export interface SessionEndedEvent {
  v: number;
  type: 'session-ended';
  userId: string;
  tokenId: string;
}

/** The channel of one user's own events (myEvents on every device): key the user id. */
export const userChannel = (userId: string): string => `user:${userId}`;

/** An edit, a deletion or a change of reactions, with the message as it is now. Key and channel: the room id. */
export interface MessageChangedEvent {
  v: number;
  type: 'message-changed';
  message: MessageRecord;
}

/** A member's read marker moved forward. Key and channel: the room id. */
export interface ReadMarkerMovedEvent {
  v: number;
  type: 'read-marker-moved';
  roomId: string;
  user: PublicUser;
  lastReadSeq: number;
  /** Where the marker was: clients lower unreadBy of the messages in (previousReadSeq, lastReadSeq] not sent by `user`. */
  previousReadSeq?: number;
}

/** A member started or stopped typing; produced by gateways, never stored. Key and channel: the room id. */
export interface TypingEvent {
  v: number;
  type: 'typing';
  roomId: string;
  user: PublicUser;
  typing: boolean;
}

/** A notice to one user (muted, unmuted). Key: the user id; channel: userChannel(userId). */
export interface AccountNoticeEvent {
  v: number;
  type: 'account-notice';
  userId: string;
  kind: 'MUTED' | 'UNMUTED';
  message: string;
  until: string | null;
}

/** A friendship of `userId` began or ended. Key: the user id; channel: userChannel(userId). */
export interface FriendChangedEvent {
  v: number;
  type: 'friend-changed';
  userId: string;
  friend: PublicUser;
  isFriend: boolean;
}

/** An account was deleted: every gateway closes all of its sockets at once. Key: the user id; channel: SESSIONS_CHANNEL. */
export interface AccountDeletedEvent {
  v: number;
  type: 'account-deleted';
  userId: string;
}

/**
 * `userId` became a member of a room (created with them in it, or invited):
 * their myEvents start following the room. Key: the user id; channel: userChannel(userId).
 */
export interface RoomJoinedEvent {
  v: number;
  type: 'room-joined';
  userId: string;
  roomId: string;
}

/** The channel of presence heartbeats; every gateway reads it. */
export const PRESENCE_CHANNEL = 'presence';

/**
 * Which users hold an authenticated socket on one gateway, produced by that
 * gateway on every change and every few seconds (a heartbeat); a gateway
 * whose heartbeats stop is taken as gone with its users. Never stored in
 * PostgreSQL. Key: the gateway's instance id; channel: PRESENCE_CHANNEL.
 */
export interface PresenceEvent {
  v: number;
  type: 'presence';
  gatewayId: string;
  /** When it was produced (epoch ms, the producing gateway's clock). */
  at: number;
  userIds: string[];
  /** The gateway stops: its users are offline now, not at the heartbeat's expiry. */
  final: boolean;
}

/** Events of a room's channel. */
export type RoomChannelEvent = MessageEvent | MessageChangedEvent | ReadMarkerMovedEvent | TypingEvent;
/** Events of one user's channel (userChannel). */
export type UserChannelEvent = AccountNoticeEvent | FriendChangedEvent | RoomJoinedEvent;

/** What is published on the events topic (chat.messages). */
export type ChatEvent = RoomChannelEvent | UserChannelEvent | SessionEndedEvent | AccountDeletedEvent | PresenceEvent;

/** The Kafka key (what must stay in order) and the channel header (who listens) of an event. */
export function eventRoute(event: ChatEvent): { key: string; channel: string } {
  switch (event.type) {
    case 'message':
    case 'message-changed':
      return { key: event.message.roomId, channel: event.message.roomId };
    case 'read-marker-moved':
    case 'typing':
      return { key: event.roomId, channel: event.roomId };
    case 'account-notice':
    case 'friend-changed':
    case 'room-joined':
      return { key: event.userId, channel: userChannel(event.userId) };
    case 'session-ended':
    case 'account-deleted':
      // One key, so one partition every gateway keeps reading, whatever else it pauses (docs/scaling.md).
      return { key: SESSIONS_CHANNEL, channel: SESSIONS_CHANNEL };
    case 'presence':
      return { key: channelKey(PRESENCE_CHANNEL), channel: PRESENCE_CHANNEL };
  }
}

/** The Kafka key of a channel's events (what eventRoute gives them), so a reader can tell which partition holds it. */
export function channelKey(channel: string): string {
  // Every gateway reads presence: on the sessions partition, which no gateway pauses (docs/scaling.md).
  if (channel === PRESENCE_CHANNEL) return SESSIONS_CHANNEL;
  return channel.startsWith('user:') ? channel.slice('user:'.length) : channel;
}

/** Why a record could not be used; it goes to the dead-letter topic with this reason. */
export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

/**
 * Far above any valid record; larger ones are poison. The largest is a
 * message-changed record: two bodies of 4000 characters (the message and its
 * replyTo) and 20 emoji with up to 100 reactors' ids each (about 80 KB).
 */
export const MAX_RECORD_BYTES = 256 * 1024;

export function parseRecordObject(value: Buffer | string | null): Record<string, unknown> {
  if (value === null) throw new RecordFormatError('record has no value');
  const size = Buffer.byteLength(value);
  if (size > MAX_RECORD_BYTES) throw new RecordFormatError(`record is too large (${size} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    throw new RecordFormatError('record value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RecordFormatError('record value is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

const isString = (v: unknown): v is string => typeof v === 'string';

export function parseReply(value: Buffer | string | null): Reply {
  const o = parseRecordObject(value);
  if (!isString(o.commandId)) throw new RecordFormatError('reply has no commandId');
  if (typeof o.ok !== 'boolean') throw new RecordFormatError('reply has no ok flag');
  return o as unknown as Reply;
}

export function parseMessageEvent(value: Buffer | string | null): MessageEvent {
  return messageEvent(parseRecordObject(value));
}

function messageEvent(o: Record<string, unknown>): MessageEvent {
  const m = o.message as Record<string, unknown> | undefined;
  if (o.type !== 'message' || typeof m !== 'object' || m === null) throw new RecordFormatError('not a message event');
  if (!isString(m.roomId) || typeof m.seq !== 'number') throw new RecordFormatError('message event lacks roomId or seq');
  return o as unknown as MessageEvent;
}

export function parseSessionEndedEvent(value: Buffer | string | null): SessionEndedEvent {
  return sessionEndedEvent(parseRecordObject(value));
}

function sessionEndedEvent(o: Record<string, unknown>): SessionEndedEvent {
  if (o.type !== 'session-ended' || !isString(o.userId) || !isString(o.tokenId)) {
    throw new RecordFormatError('not a session-ended event');
  }
  return o as unknown as SessionEndedEvent;
}

/**
 * Any event of the events topic, by its `type`. Null for a well-formed event
 * of a kind this version does not know (a newer worker's, during a rolling
 * upgrade): readers skip it. Throws RecordFormatError for what is malformed.
 */
export function parseChatEvent(value: Buffer | string | null): ChatEvent | null {
  const o = parseRecordObject(value);
  if (o.type === 'message') return messageEvent(o);
  if (o.type === 'session-ended') return sessionEndedEvent(o);
  if (typeof o.type !== 'string') throw new RecordFormatError('event has no type');
  const routedBy = ROUTED_BY[o.type];
  if (!routedBy) return null;
  if (!routedBy(o)) throw new RecordFormatError(`${o.type} event lacks what routes it`);
  return o as unknown as ChatEvent;
}

/** For the other kinds: the fields that route them must be there (readers trust the rest, written by our own code). */
const ROUTED_BY: Record<string, (o: Record<string, unknown>) => boolean> = {
  'message-changed': (o) => typeof o.message === 'object' && o.message !== null && isString((o.message as { roomId?: unknown }).roomId),
  'read-marker-moved': (o) => isString(o.roomId) && typeof o.lastReadSeq === 'number',
  typing: (o) => isString(o.roomId) && typeof o.typing === 'boolean',
  'account-notice': (o) => isString(o.userId) && isString(o.kind),
  'friend-changed': (o) => isString(o.userId) && typeof o.isFriend === 'boolean',
  'account-deleted': (o) => isString(o.userId),
  'room-joined': (o) => isString(o.userId) && isString(o.roomId),
  presence: (o) => isString(o.gatewayId) && Array.isArray(o.userIds) && typeof o.at === 'number',
};

/** A message as one viewer sees it (the store reads it so; a live message is new, so nobody has bookmarked it yet). */
export interface ViewedMessage {
  message: MessageRecord;
  bookmarked: boolean;
}
