import { Entity, Index, JsonType, ManyToOne, PrimaryKey, PrimaryKeyProp, Property, Unique } from '@mikro-orm/core';
import type { AttachmentRecord, MessageKind, SystemEventRecord } from '../contracts/records';

// Column types are spelled out so the mapping never depends on emitted type metadata.

@Entity({ tableName: 'users' })
// searchUsers matches prefixes of the username and (case-insensitively) of the display name.
@Index({
  name: 'users_username_prefix_index',
  expression: 'create index "users_username_prefix_index" on "users" ("username" varchar_pattern_ops)',
})
@Index({
  name: 'users_display_name_prefix_index',
  expression: 'create index "users_display_name_prefix_index" on "users" (lower("display_name") varchar_pattern_ops)',
})
export class User {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Stored in lower case: usernames are case-insensitive. */
  @Property({ type: 'string', length: 32, unique: true })
  username!: string;

  @Property({ type: 'string', hidden: true, lazy: true })
  passwordHash!: string;

  @Property({ type: 'string', length: 64 })
  displayName!: string;

  @Property({ type: 'string', length: 254, nullable: true })
  email: string | null = null;

  @Property({ type: 'string', length: 140 })
  statusMessage = '';

  @Property({ type: 'Date' })
  createdAt!: Date;

  @Property({ type: 'Date', nullable: true })
  lastLoginAt: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  lastLogoutAt: Date | null = null;

  /** Set by a moderation decision; sendChat is refused until then. */
  @Property({ type: 'Date', nullable: true })
  mutedUntil: Date | null = null;
  /** When the user's last graphql-ws connection closed (presence; written through RecordLastSeen). */
  @Property({ type: 'Date', nullable: true })
  lastSeenAt: Date | null = null;
}

/** One row per direction: friendship is mutual and both rows exist. */
@Entity({ tableName: 'friendships' })
export class Friendship {
  @ManyToOne({ entity: () => User, primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @ManyToOne({ entity: () => User, primary: true, fieldName: 'friend_id', deleteRule: 'cascade' })
  friend!: User;

  @Property({ type: 'Date' })
  createdAt!: Date;
}

/** One row per block, from the blocker: it ends any friendship, and none can start while it stands. */
@Entity({ tableName: 'blocks' })
// blockedUsers lists a user's blocks, the most recent first.
@Index({ properties: ['user', 'createdAt'] })
export class Block {
  @ManyToOne({ entity: () => User, primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @ManyToOne({ entity: () => User, primary: true, fieldName: 'blocked_id', deleteRule: 'cascade' })
  blocked!: User;

  @Property({ type: 'Date' })
  createdAt!: Date;
}

@Entity({ tableName: 'rooms' })
export class Room {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'Date' })
  createdAt!: Date;

  /** seq of the newest message; the next message takes lastSeq + 1 under this row's lock. */
  @Property({ type: 'integer' })
  lastSeq = 0;

  @Property({ type: 'Date' })
  lastActivityAt!: Date;
}

@Entity({ tableName: 'room_members' })
export class RoomMember {
  @ManyToOne({ entity: () => Room, primary: true, fieldName: 'room_id', deleteRule: 'cascade' })
  room!: Room;

  /** A member's rooms are looked up by user. */
  @Index()
  @ManyToOne({ entity: () => User, primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'integer' })
  lastReadSeq = 0;

  @Property({ type: 'Date' })
  joinedAt!: Date;
}

@Entity({ tableName: 'messages' })
@Unique({ properties: ['room', 'seq'] })
@Unique({ properties: ['room', 'clientMessageId'] })
@Unique({ properties: ['id'] })
export class Message {
  /** The key leads with the room, as a database distributed by room_id needs (docs/scaling.md); id alone stays unique for bookmarks. */
  [PrimaryKeyProp]?: ['room', 'id'];

  @ManyToOne({ entity: () => Room, fieldName: 'room_id', deleteRule: 'cascade', primary: true })
  room!: Room;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'integer' })
  seq!: number;

  @Property({ type: 'string', length: 16 })
  kind!: MessageKind;

  @Property({ type: 'text' })
  body!: string;

  @ManyToOne({ entity: () => User, fieldName: 'sender_id', nullable: true, deleteRule: 'set null' })
  sender: User | null = null;

  @Property({ type: JsonType, nullable: true })
  attachment: AttachmentRecord | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  clientMessageId: string | null = null;

  /** What a SYSTEM message records (who was invited or left). */
  @Property({ type: JsonType, nullable: true })
  system: SystemEventRecord | null = null;

  @Property({ type: 'Date' })
  createdAt!: Date;

  /** The message this one answers; a deleted original stays (a tombstone), so this is set null only if it is purged. */
  @ManyToOne({ entity: () => Message, fieldName: 'reply_to_id', referencedColumnNames: ['id'], nullable: true, deleteRule: 'set null' })
  replyTo: Message | null = null;

  /** 1 when sent, +1 on every edit, deletion and change of reactions. */
  @Property({ type: 'integer', default: 1 })
  version = 1;

  @Property({ type: 'Date', nullable: true })
  editedAt: Date | null = null;

  /** A tombstone: body empty, attachment null, seq and sender kept. */
  @Property({ type: 'boolean', default: false })
  deleted = false;

  /** Full-text search: generated from the body (see the migration), searched through its GIN index. */
  @Index({ name: 'messages_search_vector_index', type: 'fulltext' })
  @Property({ type: 'tsvector', generated: "(to_tsvector('english'::regconfig, body)) stored", nullable: true, lazy: true })
  searchVector?: unknown;
}

/** One row per user and emoji on a message. */
@Entity({ tableName: 'message_reactions' })
export class MessageReaction {
  @ManyToOne({ entity: () => Message, primary: true, fieldName: 'message_id', referencedColumnNames: ['id'], deleteRule: 'cascade' })
  message!: Message;

  @PrimaryKey({ type: 'string', length: 64 })
  emoji!: string;

  @ManyToOne({ entity: () => User, primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'Date' })
  createdAt!: Date;
}

@Entity({ tableName: 'bookmarks' })
@Index({ properties: ['user', 'createdAt'] })
export class Bookmark {
  @ManyToOne({ entity: () => User, primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @ManyToOne({ entity: () => Message, primary: true, fieldName: 'message_id', referencedColumnNames: ['id'], deleteRule: 'cascade' })
  message!: Message;

  @Property({ type: 'Date' })
  createdAt!: Date;
}

/** Tokens ended by logout, until they would have expired anyway. */
@Entity({ tableName: 'revoked_tokens' })
export class RevokedToken {
  @PrimaryKey({ type: 'uuid' })
  tokenId!: string;

  @ManyToOne({ entity: () => User, fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @Index()
  @Property({ type: 'Date' })
  expiresAt!: Date;
}

/**
 * The outcome of each applied command, so a redelivered command re-emits the
 * same reply and events instead of writing again. Kept for the command's
 * lifetime and a margin, then swept by the workers.
 */
@Entity({ tableName: 'processed_commands' })
export class ProcessedCommand {
  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  /** The reply's record value, as produced (JSON). */
  @Property({ type: 'text' })
  reply!: string;

  /** The events' record values, as produced, in one JSON array. */
  @Property({ type: 'text' })
  events!: string;

  @Index()
  @Property({ type: 'Date' })
  processedAt!: Date;
}

/**
 * A file uploaded to the service (createUpload, then a PUT on the gateway).
 * Unsent (room and message null) until a sendChat binds it; the sweep removes
 * those left unsent for a day.
 */
@Entity({ tableName: 'uploads' })
export class Upload {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Null once the owner's account is gone: a sent file stays with its message. */
  @Index()
  @ManyToOne({ entity: () => User, fieldName: 'owner_id', nullable: true, deleteRule: 'set null' })
  owner: User | null = null;

  @Property({ type: 'string', length: 255 })
  name!: string;

  @Property({ type: 'string', length: 255 })
  contentType!: string;

  @Property({ type: 'bigint' })
  size!: number;

  /** Set once every declared byte is stored. */
  @Property({ type: 'boolean', default: false })
  complete = false;

  @Index()
  @Property({ type: 'Date' })
  createdAt!: Date;

  @ManyToOne({ entity: () => Room, fieldName: 'room_id', nullable: true, deleteRule: 'cascade' })
  room: Room | null = null;

  @Index()
  @ManyToOne({ entity: () => Message, fieldName: 'message_id', referencedColumnNames: ['id'], nullable: true, deleteRule: 'cascade' })
  message: Message | null = null;
}

/** The PostgreSQL file store's bytes: chunk `n` of an upload (src/store/uploads.ts). */
@Entity({ tableName: 'upload_chunks' })
export class UploadChunk {
  @ManyToOne({ entity: () => Upload, primary: true, fieldName: 'upload_id', deleteRule: 'cascade' })
  upload!: Upload;

  @PrimaryKey({ type: 'integer' })
  n!: number;

  @Property({ type: 'blob' })
  data!: Buffer;
}

/** Why a user was muted: the rule that fired and its evidence, kept as the record a person reads. No foreign key: it names the user by id. */
@Entity({ tableName: 'moderation_decisions' })
@Index({ properties: ['userId', 'createdAt'] })
@Index({
  name: 'moderation_decisions_open_index',
  expression: 'create index "moderation_decisions_open_index" on "moderation_decisions" ("muted_until") where "ended_at" is null',
})
export class ModerationDecision {
  /** Derived from the evidence by the moderator, so acting twice on the same evidence is one decision. */
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 32 })
  rule!: string;

  @Property({ type: JsonType })
  evidence!: unknown;

  /** The time of the newest piece of evidence. */
  @Property({ type: 'Date' })
  evidenceAt!: Date;

  @Property({ type: 'Date' })
  mutedUntil!: Date;

  @Property({ type: 'Date' })
  createdAt!: Date;

  /** When the mute was over and announced (UNMUTED), or overtaken by a later one. */
  @Property({ type: 'Date', nullable: true })
  endedAt: Date | null = null;
}

/** One report per reporter and message. */
@Entity({ tableName: 'message_reports' })
export class MessageReport {
  @ManyToOne({ entity: () => Message, primary: true, fieldName: 'message_id', referencedColumnNames: ['id'], deleteRule: 'cascade' })
  message!: Message;

  @ManyToOne({ entity: () => User, primary: true, fieldName: 'reporter_id', deleteRule: 'cascade' })
  reporter!: User;

  @Property({ type: 'string', length: 200 })
  reason!: string;

  @Index()
  @Property({ type: 'Date' })
  createdAt!: Date;
}

export const ENTITIES = [
  User,
  Friendship,
  Block,
  Room,
  RoomMember,
  Message,
  Bookmark,
  RevokedToken,
  ProcessedCommand,
  MessageReaction,
  Upload,
  UploadChunk,
  ModerationDecision,
  MessageReport,
];
