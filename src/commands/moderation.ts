import { createHash } from 'node:crypto';
import { RECORD_VERSION, type AccountNoticeEvent, type PublicUser } from '../contracts/records';
import type { CommandEvent } from '../contracts/commands';
import { UserError, badInput, forbidden, notFound } from '../errors';
import { decideLeaveRoom, type Departure, type LeaveState } from './rooms';
import type { Decide } from './decision';

/** A report's reason: 1-200 characters (the gateway trims it). */
export const REPORT_REASON_MAX = 200;
/** Mutes double for each earlier one within this long. */
export const MUTE_MEMORY_MS = 24 * 3600_000;
/** However many mutes in a day, one lasts at most 2^this times the first. */
const MAX_DOUBLINGS = 10;

/**
 * A UUID (version 8, "custom") derived from `parts`: the moderator names a
 * decision by its evidence, so the same firing seen twice (after a restart,
 * say) is the same decision.
 */
export function derivedUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---- ReportMessage ----

export interface ReportState {
  message: { senderId: string | null; isMember: boolean } | null;
}
export interface Report {
  messageId: string;
  reporterId: string;
  reason: string;
}

/** Members only; a second report of the same message by the same member is accepted and changes nothing (the store keeps the first). */
export const decideReportMessage: Decide<'ReportMessage', ReportState, Report> = ({ actorId, payload }, state) => {
  const { messageId, reason } = payload;
  if (!state.message) return notFound('no such message');
  if (!state.message.isMember) return forbidden('only members of the room can report its messages');
  if (reason.length < 1 || reason.length > REPORT_REASON_MAX) return badInput(`reason must be 1-${REPORT_REASON_MAX} characters`);
  if (state.message.senderId === null) return badInput('only messages members sent can be reported');
  if (state.message.senderId === actorId) return badInput('you cannot report your own message');
  return { result: { messageId }, events: [], writes: { messageId, reporterId: actorId, reason } };
};

// ---- MuteUser ----

export interface MuteState {
  /** The user's current mute (null: none ever), or null for the whole state when the user does not exist. */
  user: { mutedUntil: string | null } | null;
  /** Whether this decision id was applied before. */
  decided: boolean;
  /** When the user's latest mute was decided. */
  lastMuteAt: string | null;
  /** Their mutes decided within MUTE_MEMORY_MS before now. */
  mutesWithinDay: number;
  now: string;
}
export interface Mute {
  decisionId: string;
  userId: string;
  rule: string;
  evidence: Record<string, unknown>;
  evidenceAt: string;
  mutedUntil: string;
  now: string;
}

/**
 * Mutes for the first mute's length, doubled for each mute within a day; a
 * longer mute in force is kept. A firing whose evidence is no newer than the
 * user's latest mute is behaviour that mute already answered (a flood's
 * messages still in flight when it was decided, the same flood seen again by
 * a moderator that restarted): it changes nothing. So one firing mutes once.
 */
export const decideMuteUser: Decide<'MuteUser', MuteState, Mute> = ({ payload }, state) => {
  const { decisionId, userId, rule, evidence, evidenceAt, muteSeconds } = payload;
  const unchanged = { result: { userId, mutedUntil: state.user?.mutedUntil ?? null }, events: [], writes: null };
  if (!state.user || state.decided) return unchanged;
  if (state.lastMuteAt !== null && Date.parse(evidenceAt) <= Date.parse(state.lastMuteAt)) return unchanged;
  const now = Date.parse(state.now);
  const ms = muteSeconds * 1000 * 2 ** Math.min(state.mutesWithinDay, MAX_DOUBLINGS);
  const current = state.user.mutedUntil === null ? 0 : Date.parse(state.user.mutedUntil);
  const mutedUntil = new Date(Math.max(now + ms, current)).toISOString();
  const notice: AccountNoticeEvent = {
    v: RECORD_VERSION,
    type: 'account-notice',
    userId,
    kind: 'MUTED',
    message: `You are muted until ${mutedUntil}: ${RULE_REASONS[rule] ?? 'a moderation rule'}.`,
    until: mutedUntil,
  };
  return {
    result: { userId, mutedUntil },
    events: [notice],
    writes: { decisionId, userId, rule, evidence, evidenceAt, mutedUntil, now: state.now },
  };
};

/** Why, in words a person reads (the notice's message). */
const RULE_REASONS: Record<string, string> = {
  flood: 'too many messages in a short time',
  repetition: 'the same message sent again and again',
  words: 'a message with a banned word',
  reports: 'several members reported your messages',
};

// ---- EndMute ----

export interface EndMuteState {
  decision: { userId: string; mutedUntil: string; ended: boolean } | null;
  /** The user's mute as it stands now (a later decision may have lengthened it); null for the whole when the user is gone. */
  user: { mutedUntil: string | null } | null;
  now: string;
}
export interface MuteEnded {
  decisionId: string;
  userId: string;
  now: string;
}

/** A mute whose time is over is closed once, with the UNMUTED notice when the user is not muted any more. */
export const decideEndMute: Decide<'EndMute', EndMuteState, MuteEnded> = ({ payload: { decisionId, userId } }, state) => {
  const unchanged = { result: { userId }, events: [], writes: null };
  const { decision, user } = state;
  if (!decision || decision.ended || decision.userId !== userId) return unchanged;
  const now = Date.parse(state.now);
  if (Date.parse(decision.mutedUntil) > now) return unchanged;
  const stillMuted = user?.mutedUntil != null && Date.parse(user.mutedUntil) > now;
  const events: AccountNoticeEvent[] =
    user && !stillMuted
      ? [{ v: RECORD_VERSION, type: 'account-notice', userId, kind: 'UNMUTED', message: 'You may send messages again.', until: null }]
      : [];
  return { result: { userId }, events, writes: { decisionId, userId, now: state.now } };
};

// ---- DeleteAccount ----

export interface DeleteAccountState {
  user: PublicUser | null;
  /** Each room the user is in, locked, as LeaveRoom loads it. */
  rooms: { roomId: string; leave: LeaveState }[];
  friends: PublicUser[];
}
export interface AccountDeletion {
  userId: string;
  departures: Departure[];
}

/**
 * They leave each room as LeaveRoom does (the same SYSTEM message, so every
 * member's stream and the leaver's end alike); each friend is told the
 * friendship ended; every gateway closes their sockets (account-deleted).
 */
export const decideDeleteAccount: Decide<'DeleteAccount', DeleteAccountState, AccountDeletion> = ({ id, actorId: userId }, state) => {
  if (!state.user) return notFound('your account no longer exists');
  const departures: Departure[] = [];
  const events: CommandEvent<'DeleteAccount'>[] = [];
  for (const { roomId, leave } of state.rooms) {
    // A command id of its own per room, so each LEFT message gets an id of its own.
    const left = decideLeaveRoom({ v: RECORD_VERSION, id: `${id}/${roomId}`, type: 'LeaveRoom', actorId: userId, deadline: 0, payload: { roomId } }, leave);
    if (left instanceof UserError) continue; // no longer a member: nothing to leave
    departures.push(left.writes!);
    events.push(...left.events);
  }
  for (const friend of state.friends) {
    events.push({ v: RECORD_VERSION, type: 'friend-changed', userId: friend.id, friend: state.user, isFriend: false });
  }
  events.push({ v: RECORD_VERSION, type: 'account-deleted', userId });
  return { result: { userId }, events, writes: { userId, departures } };
};
