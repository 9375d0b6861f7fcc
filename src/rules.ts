import type { CommandPayloads } from './contracts/commands';
import type { AttachmentRecord } from './contracts/records';
import { uploadIdOf } from './contracts/uploads';
import { badInput } from './errors';

/**
 * The rules of the public API, checked at the gateway before anything is
 * enqueued: input limits, ids, attachments, page sizes and seq cursors.
 */

/** Input limits of the public API. */
export const LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 8,
  passwordMax: 128,
  displayNameMax: 64,
  statusMax: 140,
  bodyMax: 4000,
  roomNameMax: 100,
  roomMembersMax: 100,
  /**
   * How many of one kind a user may hold. Others add to them (invitations,
   * friendships), and the lists that show them are unpaged by default, so each
   * bound is also what the cost limit prices such a list at.
   */
  roomsPerUserMax: 500,
  friendsMax: 1000,
  bookmarksMax: 1000,
  blocksMax: 1000,
  clientMessageIdMax: 64,
  emailMax: 254,
  pageMax: 100,
  /** The `messages` page when neither `first` nor `last` is given. */
  pageDefault: 50,
  /** Distinct emoji on one message. */
  emojiPerMessageMax: 20,
  /** Reactors of one emoji on one message: a room's size, so a message-changed record stays bounded. */
  reactorsPerEmojiMax: 100,
  /** A searchMessages query, in characters. */
  searchQueryMax: 200,
  /** The searchMessages page when `first` is not given. */
  searchPageDefault: 20,
} as const;

const USERNAME = /^[a-z0-9_.]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Usernames are case-insensitive: stored and compared in lower case. */
export function normalizeUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  if (username.length < LIMITS.usernameMin || username.length > LIMITS.usernameMax || !USERNAME.test(username)) {
    throw badInput(
      `username must be ${LIMITS.usernameMin}-${LIMITS.usernameMax} characters of a-z, 0-9, '_' and '.'`,
    );
  }
  return username;
}

export function checkPassword(password: string): void {
  if (password.length < LIMITS.passwordMin || password.length > LIMITS.passwordMax) {
    throw badInput(`password must be ${LIMITS.passwordMin}-${LIMITS.passwordMax} characters`);
  }
}

export function checkMaxLength(field: string, value: string, max: number): string {
  if (value.length > max) throw badInput(`${field} must be at most ${max} characters`);
  return value;
}

export function checkEmail(email: string): string {
  const trimmed = checkMaxLength('email', email.trim(), LIMITS.emailMax);
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed)) throw badInput('email is not a valid address');
  return trimmed;
}

/**
 * Bidirectional embeddings, overrides and isolates: in a name they can make
 * what follows it read backwards ("evil\u202Egnp.exe"), so a name may not hold them.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/** A display name: at most LIMITS.displayNameMax characters, no bidirectional controls. */
export function checkDisplayName(name: string): string {
  if (BIDI_CONTROLS.test(name)) throw badInput('displayName must not contain bidirectional control characters');
  return checkMaxLength('displayName', name, LIMITS.displayNameMax);
}

/** Ids are UUIDs; anything else cannot name an existing object. */
export function checkId(field: string, id: string): string {
  if (!UUID.test(id)) throw badInput(`${field} is not a valid id`);
  return id.toLowerCase();
}

export function checkMessageBody(body: string, hasAttachment: boolean): string {
  if (body.trim().length === 0 && !hasAttachment) throw badInput('body must not be empty or only white space');
  return checkMaxLength('body', body, LIMITS.bodyMax);
}

/** How many items a page may ask for: 1 to LIMITS.pageMax. */
export function checkPageSize(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > LIMITS.pageMax) {
    throw badInput(`${field} must be from 1 to ${LIMITS.pageMax}`);
  }
  return value;
}

/** A file message's attachment: named, typed, a non-negative size and an http(s) URL. */
export function checkAttachment(input: AttachmentRecord | null | undefined): AttachmentRecord | null {
  if (!input) return null;
  const name = checkMaxLength('attachment.name', input.name.trim(), 255);
  if (!name) throw badInput('attachment.name must not be empty');
  const contentType = checkMaxLength('attachment.contentType', input.contentType.trim(), 255);
  if (!contentType) throw badInput('attachment.contentType must not be empty');
  if (!Number.isInteger(input.size) || input.size < 0) throw badInput('attachment.size must be a non-negative integer');
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw badInput('attachment.url is not a valid URL');
  }
  // Or an upload's reference (createUpload's ticket url), checked by the worker.
  const upload = url.protocol === 'upload:' && uploadIdOf(input.url) !== null;
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && !upload) throw badInput('attachment.url must be http(s) or an upload ticket\'s url');
  checkMaxLength('attachment.url', input.url, 2048);
  return { name, contentType, size: input.size, url: input.url };
}

/** A new account's fields (the password is checked, never returned: only its hash travels). */
export function checkSignUp(input: { username: string; password: string; displayName?: string | null; email?: string | null }) {
  const username = normalizeUsername(input.username);
  checkPassword(input.password);
  const displayName = checkDisplayName((input.displayName ?? '').trim() || username);
  const email = input.email ? checkEmail(input.email) : null;
  return { username, displayName, email };
}

export function checkRoomName(name: string | null | undefined): string {
  return checkMaxLength('name', (name ?? '').trim(), LIMITS.roomNameMax) || 'New room';
}

/** User ids that can be members of one room together with the viewer. */
export function checkMemberIds(field: string, ids: string[], viewerId: string): string[] {
  const checked = ids.map((id) => checkId(field, id));
  if (new Set([...checked, viewerId]).size > LIMITS.roomMembersMax) {
    throw badInput(`a room has at most ${LIMITS.roomMembersMax} members`);
  }
  return checked;
}

export function checkSendChat(input: {
  roomId: string;
  body: string;
  clientMessageId?: string | null;
  attachment?: AttachmentRecord | null;
  replyToId?: string | null;
}): CommandPayloads['SendChat'] {
  const roomId = checkId('roomId', input.roomId);
  const attachment = checkAttachment(input.attachment);
  const body = checkMessageBody(input.body, attachment !== null);
  const clientMessageId = input.clientMessageId ?? null;
  if (clientMessageId !== null) {
    checkMaxLength('clientMessageId', clientMessageId, LIMITS.clientMessageIdMax);
    if (clientMessageId.length === 0) throw badInput('clientMessageId must not be empty');
  }
  const replyToId = input.replyToId == null ? null : checkId('replyToId', input.replyToId);
  return { roomId, body, clientMessageId, attachment, replyToId };
}

/** Where a roomMessages subscription starts: after `afterSeq`, or without it after the room's newest message. */
export function checkAfterSeq(afterSeq: number | null | undefined, lastSeq: number): number {
  if (afterSeq == null) return lastSeq;
  if (afterSeq < 0) throw badInput('afterSeq must not be negative');
  if (afterSeq > lastSeq) throw badInput(`afterSeq ${afterSeq} is past the room's newest message (${lastSeq})`);
  return afterSeq;
}

/** Which part of a room's history to read: afterSeq < seq < beforeSeq, at most `limit` seqs from the chosen end. */
export interface SeqRange {
  afterSeq?: number;
  beforeSeq?: number;
  limit: number;
  fromEnd: boolean;
}

/** The `messages` connection's arguments; cursors are seqs, and neither `first` nor `last` means the newest page. */
export function checkPageArgs(args: { first?: number | null; after?: string | null; last?: number | null; before?: string | null }): SeqRange {
  if (args.first != null && args.last != null) throw badInput('give either first or last, not both');
  return {
    afterSeq: parseSeqCursor('after', args.after),
    beforeSeq: parseSeqCursor('before', args.before),
    limit: args.first != null ? checkPageSize('first', args.first) : args.last != null ? checkPageSize('last', args.last) : LIMITS.pageDefault,
    fromEnd: args.first == null,
  };
}

/** A history cursor is the seq itself. */
export function parseSeqCursor(name: string, cursor: string | null | undefined): number | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const seq = /^\d{1,10}$/.test(cursor) ? Number(cursor) : NaN;
  if (!Number.isSafeInteger(seq)) throw badInput(`${name} is not a valid cursor`);
  return seq;
}

/**
 * Relay page info for a page of seqs (ascending). Seqs are 1..lastSeq without
 * gaps, so whether a page has neighbours is known without another query.
 */
export function seqPageInfo(seqs: number[], lastSeq: number, afterSeq?: number, beforeSeq?: number) {
  const first = seqs[0];
  const end = seqs[seqs.length - 1];
  return {
    hasPreviousPage: first !== undefined ? first > 1 : (afterSeq ?? 0) > 0 && lastSeq > 0,
    hasNextPage: end !== undefined ? end < lastSeq : beforeSeq !== undefined && beforeSeq <= lastSeq,
    startCursor: first !== undefined ? String(first) : null,
    endCursor: end !== undefined ? String(end) : null,
  };
}
