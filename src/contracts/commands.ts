/**
 * Every command, declared once: its payload and the checks of each field, who
 * acts, its Kafka key (what must stay in order), its result and the events it
 * may emit. The types, the parser and the list of command types are derived
 * from COMMANDS, so they cannot drift apart. Imports only the record shapes.
 */
import {
  RECORD_VERSION,
  RecordFormatError,
  parseRecordObject,
  type AttachmentRecord,
  type ChatEvent,
  type MessageRecord,
} from './records';

/** Checks one payload field; the type it proves is the field's type. */
type Check<T> = (v: unknown) => v is T;

const string: Check<string> = (v): v is string => typeof v === 'string';
const boolean: Check<boolean> = (v): v is boolean => typeof v === 'boolean';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuid: Check<string> = (v): v is string => string(v) && UUID.test(v);
const seq: Check<number> = (v): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isoTime: Check<string> = (v): v is string => string(v) && !Number.isNaN(Date.parse(v));
const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (v): v is T | null =>
    v === null || check(v);
const list =
  <T>(check: Check<T>): Check<T[]> =>
  (v): v is T[] =>
    Array.isArray(v) && v.every(check);
const attachment: Check<AttachmentRecord> = (v): v is AttachmentRecord => {
  const a = v as Partial<AttachmentRecord> | null;
  return typeof a === 'object' && a !== null && string(a.name) && string(a.contentType) && string(a.url) && seq(a.size);
};

// Built outside the definitions: a generic call inside one would keep TypeScript from inferring its payload.
const stringOrNull = nullable(string);
const uuids = list(uuid);
const attachmentOrNull = nullable(attachment);
/** Absent in commands produced before the field existed (a rolling upgrade): read as null. */
const uuidOrAbsent: Check<string | null | undefined> = (v): v is string | null | undefined => v === undefined || v === null || uuid(v);
const jsonObject: Check<Record<string, unknown>> = (v): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const positive: Check<number> = (v): v is number => Number.isSafeInteger(v) && (v as number) > 0;

type Fields = Record<string, Check<unknown>>;
type Checked<C> = C extends Check<infer T> ? T : never;
/** A field whose check accepts undefined may be left out. */
type PayloadOf<F extends Fields> = { [K in keyof F as undefined extends Checked<F[K]> ? never : K]: Checked<F[K]> } & {
  [K in keyof F as undefined extends Checked<F[K]> ? K : never]?: Checked<F[K]>;
};

interface Definition<F extends Fields, R, E extends ChatEvent['type'], A extends boolean> {
  /** Whether a logged-in user acts (actorId set); false only for SignUp. */
  actor: A;
  payload: F;
  /** The Kafka key: commands with one key are applied in order, by one worker. */
  key: (payload: NoInfer<PayloadOf<F>>, actorId: NoInfer<A extends true ? string : null>) => string;
  /** The reply's result; a type only (written by the worker, trusted by the gateway). */
  result: R;
  /** The types of events it may emit. */
  events: readonly E[];
}

function define<const F extends Fields, R, const E extends ChatEvent['type'] = never, const A extends boolean = true>(
  definition: Definition<F, R, E, A>,
): Definition<F, R, E, A> {
  return definition;
}

/** A result's type, declared in a definition; carries no value. */
const result = <T>() => undefined as unknown as T;

const byActor = (_payload: unknown, actorId: string) => actorId;
const byRoom = (payload: { roomId: string }) => payload.roomId;

export const COMMANDS = {
  SignUp: define({
    actor: false,
    payload: { userId: uuid, username: string, passwordHash: string, displayName: string, email: stringOrNull },
    key: (p) => p.userId,
    result: result<{ userId: string }>(),
    events: [],
  }),
  RecordLogin: define({ actor: true, payload: { userId: uuid }, key: byActor, result: result<{ userId: string }>(), events: [] }),
  Logout: define({
    actor: true,
    payload: { tokenId: uuid, expiresAt: isoTime },
    key: byActor,
    result: result<{ userId: string }>(),
    // Every gateway closes the sockets opened with the token.
    events: ['session-ended'],
  }),
  UpdateStatus: define({ actor: true, payload: { statusMessage: string }, key: byActor, result: result<{ userId: string }>(), events: [] }),
  AddFriend: define({ actor: true, payload: { friendId: uuid }, key: byActor, result: result<{ friendId: string }>(), events: ['friend-changed'] }),
  RemoveFriend: define({ actor: true, payload: { friendId: uuid }, key: byActor, result: result<{ friendId: string }>(), events: ['friend-changed'] }),
  // Keyed by the blocker; its store load locks both users' rows, as AddFriend's does, so the two serialize across partitions.
  BlockUser: define({ actor: true, payload: { userId: uuid }, key: byActor, result: result<{ userId: string }>(), events: ['friend-changed'] }),
  UnblockUser: define({ actor: true, payload: { userId: uuid }, key: byActor, result: result<{ userId: string }>(), events: [] }),
  CreateRoom: define({
    actor: true,
    payload: { roomId: uuid, name: string, memberIds: uuids },
    key: byRoom,
    result: result<{ roomId: string }>(),
    // Each member's myEvents start following the room.
    events: ['room-joined'],
  }),
  InviteToRoom: define({
    actor: true,
    payload: { roomId: uuid, userIds: uuids },
    key: byRoom,
    result: result<{ roomId: string }>(),
    events: ['message', 'room-joined'],
  }),
  LeaveRoom: define({ actor: true, payload: { roomId: uuid }, key: byRoom, result: result<{ roomId: string }>(), events: ['message'] }),
  MarkRead: define({ actor: true, payload: { roomId: uuid, seq }, key: byRoom, result: result<{ roomId: string }>(), events: ['read-marker-moved'] }),
  SendChat: define({
    actor: true,
    payload: { roomId: uuid, body: string, clientMessageId: stringOrNull, attachment: attachmentOrNull, replyToId: uuidOrAbsent },
    key: byRoom,
    /** `bookmarked`: whether the sender has bookmarked it (only ever true for a resend of an older message). */
    result: result<{ message: MessageRecord; bookmarked: boolean }>(),
    events: ['message'],
  }),
  // Sent by the gateway where a user's last socket closed (or, for a gateway that died, by one of those alive): lastSeenAt.
  RecordLastSeen: define({ actor: true, payload: { at: isoTime }, key: byActor, result: result<{ userId: string }>(), events: [] }),
  // Keyed by the user: it changes only their bookmarks.
  Bookmark: define({
    actor: true,
    payload: { messageId: uuid, bookmarked: boolean },
    key: byActor,
    result: result<{ message: MessageRecord }>(),
    events: [],
  }),
  // Changes of a message are keyed by its room (the gateway reads which), so they are ordered with the room's messages.
  EditMessage: define({
    actor: true,
    payload: { roomId: uuid, messageId: uuid, body: string },
    key: byRoom,
    result: result<{ message: MessageRecord }>(),
    events: ['message-changed'],
  }),
  DeleteMessage: define({
    actor: true,
    payload: { roomId: uuid, messageId: uuid },
    key: byRoom,
    result: result<{ message: MessageRecord }>(),
    events: ['message-changed'],
  }),
  AddReaction: define({
    actor: true,
    payload: { roomId: uuid, messageId: uuid, emoji: string },
    key: byRoom,
    result: result<{ message: MessageRecord }>(),
    events: ['message-changed'],
  }),
  RemoveReaction: define({
    actor: true,
    payload: { roomId: uuid, messageId: uuid, emoji: string },
    key: byRoom,
    result: result<{ message: MessageRecord }>(),
    events: ['message-changed'],
  }),
  // Moderation (issue 17). Keyed by the reporter: one report per reporter and message (the table's key guards it).
  ReportMessage: define({
    actor: true,
    payload: { messageId: uuid, reason: string },
    key: byActor,
    result: result<{ messageId: string }>(),
    events: [],
  }),
  // From the moderator, no user acts. Keyed by the muted user, so their mutes apply in order.
  // The command id is the decision id, derived from the evidence: the same firing is one decision however often sent.
  MuteUser: define({
    actor: false,
    payload: { decisionId: uuid, userId: uuid, rule: string, evidence: jsonObject, evidenceAt: isoTime, muteSeconds: positive },
    key: (p) => p.userId,
    result: result<{ userId: string; mutedUntil: string | null }>(),
    events: ['account-notice'],
  }),
  // From the moderator once a mute's time is over: the UNMUTED notice, once.
  EndMute: define({
    actor: false,
    payload: { decisionId: uuid, userId: uuid },
    key: (p) => p.userId,
    result: result<{ userId: string }>(),
    events: ['account-notice'],
  }),
  // Keyed by the user; the rooms they leave are locked in the load, as LeaveRoom's are.
  DeleteAccount: define({
    actor: true,
    payload: {},
    key: byActor,
    result: result<{ userId: string }>(),
    events: ['message', 'friend-changed', 'account-deleted'],
  }),
};

type Commands = typeof COMMANDS;
export type CommandType = keyof Commands;
export const COMMAND_TYPES = Object.keys(COMMANDS) as CommandType[];

export type CommandPayloads = { [T in CommandType]: PayloadOf<Commands[T]['payload']> };
export type CommandResults = { [T in CommandType]: Commands[T]['result'] };
/** The events a command of type T may emit. */
export type CommandEvent<T extends CommandType> = Extract<ChatEvent, { type: Commands[T]['events'][number] }>;
/** Who acts: a user id, or null for a command nobody is logged in for (SignUp). */
export type ActorOf<T extends CommandType> = Commands[T]['actor'] extends true ? string : null;

export interface CommandEnvelope<T extends CommandType = CommandType> {
  v: number;
  /** Unique per attempt; the worker applies a command id at most once. */
  id: string;
  type: T;
  actorId: ActorOf<T>;
  /** Epoch ms after which the worker drops the command: its caller has given up. */
  deadline: number;
  payload: CommandPayloads[T];
}
export type Command = { [T in CommandType]: CommandEnvelope<T> }[CommandType];

/** The Kafka key of a command: what must stay in order with it. */
export function commandKey<T extends CommandType>(type: T, actorId: ActorOf<T>, payload: CommandPayloads[T]): string {
  const key = COMMANDS[type].key as (payload: CommandPayloads[T], actorId: ActorOf<T>) => string;
  return key(payload, actorId);
}

/** The id of a command that cannot be parsed, when it can be read at all: its caller can then be told at once. */
export function readableCommandId(value: Buffer | string | null): string | null {
  if (value === null) return null;
  try {
    // Parsed without the size limit: a record too large to apply may still name its caller.
    const id = (JSON.parse(value.toString()) as { id?: unknown } | null)?.id;
    return string(id) && id.length > 0 && id.length <= 64 ? id : null;
  } catch {
    return null;
  }
}

/** A command from chat.commands; a RecordFormatError says why one is malformed, so it is set aside instead of retried. */
export function parseCommand(value: Buffer | string | null): Command {
  const o = parseRecordObject(value);
  if (o.v !== RECORD_VERSION) throw new RecordFormatError(`unsupported command version ${String(o.v)}`);
  if (!string(o.id) || o.id.length === 0 || o.id.length > 64) throw new RecordFormatError('command has no valid id');
  if (!string(o.type) || !Object.hasOwn(COMMANDS, o.type)) {
    throw new RecordFormatError(`unknown command type ${JSON.stringify(o.type)}`);
  }
  const definition = COMMANDS[o.type as CommandType];
  if (definition.actor ? !uuid(o.actorId) : o.actorId !== null) {
    throw new RecordFormatError(`${o.type} command has ${definition.actor ? 'no valid actorId' : 'an actorId'}`);
  }
  if (typeof o.deadline !== 'number') throw new RecordFormatError('command has no deadline');
  const payload = o.payload as Record<string, unknown> | null;
  if (typeof payload !== 'object' || payload === null) throw new RecordFormatError('command has no payload');
  for (const [field, check] of Object.entries(definition.payload as Fields)) {
    if (!check(payload[field])) throw new RecordFormatError(`${o.type} command has a missing or invalid "${field}"`);
  }
  return o as unknown as Command;
}
