/**
 * The Kafka record formats shared by the gateway and the worker: commands
 * (chat.commands), message events (chat.messages) and replies (chat.replies).
 * Values are JSON; this file imports nothing so both sides agree on one shape.
 */

export const RECORD_VERSION = 1;

/** Header naming the gateway instance that waits for a command's reply. */
export const REPLY_TO_HEADER = 'reply-to';
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
}

export interface CommandPayloads {
  SignUp: { userId: string; username: string; passwordHash: string; displayName: string; email: string | null };
  RecordLogin: { userId: string };
  Logout: { tokenId: string; expiresAt: string };
  UpdateStatus: { statusMessage: string };
  AddFriend: { friendId: string };
  RemoveFriend: { friendId: string };
  CreateRoom: { roomId: string; name: string; memberIds: string[] };
  InviteToRoom: { roomId: string; userIds: string[] };
  LeaveRoom: { roomId: string };
  MarkRead: { roomId: string; seq: number };
  SendChat: {
    roomId: string;
    body: string;
    clientMessageId: string | null;
    attachment: AttachmentRecord | null;
  };
  Bookmark: { messageId: string; bookmarked: boolean };
}
export type CommandType = keyof CommandPayloads;
export const COMMAND_TYPES: readonly CommandType[] = [
  'SignUp',
  'RecordLogin',
  'Logout',
  'UpdateStatus',
  'AddFriend',
  'RemoveFriend',
  'CreateRoom',
  'InviteToRoom',
  'LeaveRoom',
  'MarkRead',
  'SendChat',
  'Bookmark',
];

export interface CommandEnvelope<T extends CommandType = CommandType> {
  v: number;
  /** Unique per attempt; the worker applies a command id at most once. */
  id: string;
  type: T;
  /** The user on whose behalf the command runs (null only for SignUp). */
  actorId: string | null;
  /** Epoch ms after which the worker drops the command: its caller has given up. */
  deadline: number;
  payload: CommandPayloads[T];
}
export type Command = { [T in CommandType]: CommandEnvelope<T> }[CommandType];

export interface CommandResults {
  SignUp: { userId: string };
  RecordLogin: { userId: string };
  Logout: { userId: string };
  UpdateStatus: { userId: string };
  AddFriend: { friendId: string };
  RemoveFriend: { friendId: string };
  CreateRoom: { roomId: string };
  InviteToRoom: { roomId: string };
  LeaveRoom: { roomId: string };
  MarkRead: { roomId: string };
  /** `bookmarked`: whether the sender has bookmarked it (only ever true for a resend of an older message). */
  SendChat: { message: MessageRecord; bookmarked: boolean };
  Bookmark: { message: MessageRecord };
}

export interface ReplyError {
  code: string;
  message: string;
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

/** What commands publish on the events topic (chat.messages). */
export type ChatEvent = MessageEvent | SessionEndedEvent;

/** The Kafka key (what must stay in order) and the channel header (who listens) of an event. */
export function eventRoute(event: ChatEvent): { key: string; channel: string } {
  return event.type === 'message'
    ? { key: event.message.roomId, channel: event.message.roomId }
    : { key: event.userId, channel: SESSIONS_CHANNEL };
}

/** Why a record could not be used; it goes to the dead-letter topic with this reason. */
export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

/** Far above any valid record (a message body is at most 4000 characters); larger ones are poison. */
export const MAX_RECORD_BYTES = 64 * 1024;

function parseObject(value: Buffer | string | null): Record<string, unknown> {
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isUuid = (v: unknown): boolean => isString(v) && UUID.test(v);
const isUuidList = (v: unknown): boolean => Array.isArray(v) && v.every(isUuid);
const isObjectOrNull = (v: unknown) => v === null || (typeof v === 'object' && !Array.isArray(v));

/** The fields each command payload must have, so a malformed command is set aside instead of retried. */
const PAYLOAD_FIELDS: { [T in CommandType]: Record<keyof CommandPayloads[T], (v: unknown) => boolean> } = {
  SignUp: {
    userId: isUuid,
    username: isString,
    passwordHash: isString,
    displayName: isString,
    email: (v) => v === null || isString(v),
  },
  RecordLogin: { userId: isUuid },
  Logout: { tokenId: isUuid, expiresAt: (v) => isString(v) && !Number.isNaN(Date.parse(v)) },
  UpdateStatus: { statusMessage: isString },
  AddFriend: { friendId: isUuid },
  RemoveFriend: { friendId: isUuid },
  CreateRoom: { roomId: isUuid, name: isString, memberIds: isUuidList },
  InviteToRoom: { roomId: isUuid, userIds: isUuidList },
  LeaveRoom: { roomId: isUuid },
  MarkRead: { roomId: isUuid, seq: (v) => Number.isSafeInteger(v) && (v as number) >= 0 },
  SendChat: {
    roomId: isUuid,
    body: isString,
    clientMessageId: (v) => v === null || isString(v),
    attachment: isObjectOrNull,
  },
  Bookmark: { messageId: isUuid, bookmarked: (v) => typeof v === 'boolean' },
};

/** The id of a command that cannot be parsed, when it can be read at all: its caller can then be told at once. */
export function readableCommandId(value: Buffer | string | null): string | null {
  if (value === null) return null;
  try {
    // Parsed without the size limit: a record too large to apply may still name its caller.
    const id = (JSON.parse(value.toString()) as { id?: unknown } | null)?.id;
    return isString(id) && id.length > 0 && id.length <= 64 ? id : null;
  } catch {
    return null;
  }
}

export function parseCommand(value: Buffer | string | null): Command {
  const o = parseObject(value);
  if (o.v !== RECORD_VERSION) throw new RecordFormatError(`unsupported command version ${String(o.v)}`);
  if (!isString(o.id) || o.id.length === 0 || o.id.length > 64) throw new RecordFormatError('command has no valid id');
  if (!isString(o.type) || !(COMMAND_TYPES as readonly string[]).includes(o.type)) {
    throw new RecordFormatError(`unknown command type ${JSON.stringify(o.type)}`);
  }
  if (o.actorId !== null && !isUuid(o.actorId)) throw new RecordFormatError('command actorId is not a uuid');
  if (typeof o.deadline !== 'number') throw new RecordFormatError('command has no deadline');
  const payload = o.payload as Record<string, unknown> | null;
  if (typeof payload !== 'object' || payload === null) throw new RecordFormatError('command has no payload');
  for (const [field, valid] of Object.entries(PAYLOAD_FIELDS[o.type as CommandType])) {
    if (!(valid as (v: unknown) => boolean)(payload[field])) {
      throw new RecordFormatError(`${o.type} command has a missing or invalid "${field}"`);
    }
  }
  return o as unknown as Command;
}

export function parseReply(value: Buffer | string | null): Reply {
  const o = parseObject(value);
  if (!isString(o.commandId)) throw new RecordFormatError('reply has no commandId');
  if (typeof o.ok !== 'boolean') throw new RecordFormatError('reply has no ok flag');
  return o as unknown as Reply;
}

export function parseMessageEvent(value: Buffer | string | null): MessageEvent {
  return messageEvent(parseObject(value));
}

function messageEvent(o: Record<string, unknown>): MessageEvent {
  const m = o.message as Record<string, unknown> | undefined;
  if (o.type !== 'message' || typeof m !== 'object' || m === null) throw new RecordFormatError('not a message event');
  if (!isString(m.roomId) || typeof m.seq !== 'number') throw new RecordFormatError('message event lacks roomId or seq');
  return o as unknown as MessageEvent;
}

export function parseSessionEndedEvent(value: Buffer | string | null): SessionEndedEvent {
  return sessionEndedEvent(parseObject(value));
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
  const o = parseObject(value);
  if (o.type === 'message') return messageEvent(o);
  if (o.type === 'session-ended') return sessionEndedEvent(o);
  if (typeof o.type !== 'string') throw new RecordFormatError('event has no type');
  return null;
}

/** A message as one viewer sees it (the store reads it so; a live message is new, so nobody has bookmarked it yet). */
export interface ViewedMessage {
  message: MessageRecord;
  bookmarked: boolean;
}
