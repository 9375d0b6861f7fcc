import { Entity, Index, JsonType, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
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
export class Message {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne({ entity: () => Room, fieldName: 'room_id', deleteRule: 'cascade' })
  room!: Room;

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
}

@Entity({ tableName: 'bookmarks' })
@Index({ properties: ['user', 'createdAt'] })
export class Bookmark {
  @ManyToOne({ entity: () => User, primary: true, fieldName: 'user_id', deleteRule: 'cascade' })
  user!: User;

  @ManyToOne({ entity: () => Message, primary: true, fieldName: 'message_id', deleteRule: 'cascade' })
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

export const ENTITIES = [User, Friendship, Block, Room, RoomMember, Message, Bookmark, RevokedToken, ProcessedCommand];
