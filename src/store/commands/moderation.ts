import type { CommandEnvelope } from '../../contracts/commands';
import type {
  AccountDeletion,
  DeleteAccountState,
  EndMuteState,
  Mute,
  MuteEnded,
  MuteState,
  Report,
  ReportState,
} from '../../commands/moderation';
import { MUTE_MEMORY_MS } from '../../commands/moderation';
import { iso } from '../rows';
import type { Tx } from '../transaction';
import { deleteUnboundUploadsOf } from '../uploads';
import { publicUsers, roomView } from './common';
import { leave } from './rooms';

export async function loadReport(tx: Tx, { actorId, payload }: CommandEnvelope<'ReportMessage'>): Promise<ReportState> {
  const [row] = await tx.execute(
    `select m.sender_id, exists (select 1 from room_members rm where rm.room_id = m.room_id and rm.user_id = ?) as member
     from messages m where m.id = ?`,
    [actorId, payload.messageId],
  );
  return { message: row ? { senderId: (row.sender_id as string | null) ?? null, isMember: Boolean(row.member) } : null };
}

/** The first report of a message by a member stands; a second changes nothing. */
export async function insertReport(tx: Tx, { messageId, reporterId, reason }: Report): Promise<void> {
  await tx.execute(
    'insert into message_reports (message_id, reporter_id, reason, created_at) values (?, ?, ?, now()) on conflict do nothing',
    [messageId, reporterId, reason],
  );
}

/** Locks the user's row: their mutes apply one at a time (they are keyed by the user too). */
export async function loadMute(tx: Tx, { payload }: CommandEnvelope<'MuteUser'>, now: string): Promise<MuteState> {
  const [user] = await tx.execute('select muted_until from users where id = ? for no key update', [payload.userId]);
  const [row] = await tx.execute(
    `select exists (select 1 from moderation_decisions where id = ?) as decided,
       (select max(created_at) from moderation_decisions where user_id = ?) as last_mute_at,
       (select count(*) from moderation_decisions where user_id = ? and created_at > ?::timestamptz - ?::interval)::int as recent`,
    [payload.decisionId, payload.userId, payload.userId, now, `${MUTE_MEMORY_MS / 1000} seconds`],
  );
  return {
    user: user ? { mutedUntil: user.muted_until ? iso(user.muted_until) : null } : null,
    decided: Boolean(row.decided),
    lastMuteAt: row.last_mute_at ? iso(row.last_mute_at) : null,
    mutesWithinDay: Number(row.recent),
    now,
  };
}

/** The decision, the user's mute, and earlier open decisions closed (this one's end is the one announced). */
export async function applyMute(tx: Tx, mute: Mute): Promise<void> {
  await tx.execute(
    `update moderation_decisions set ended_at = ? where user_id = ? and ended_at is null`,
    [mute.now, mute.userId],
  );
  await tx.execute(
    `insert into moderation_decisions (id, user_id, rule, evidence, evidence_at, muted_until, created_at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
    [mute.decisionId, mute.userId, mute.rule, JSON.stringify(mute.evidence), mute.evidenceAt, mute.mutedUntil, mute.now],
  );
  await tx.execute('update users set muted_until = ? where id = ?', [mute.mutedUntil, mute.userId]);
}

export async function loadEndMute(tx: Tx, { payload }: CommandEnvelope<'EndMute'>, now: string): Promise<EndMuteState> {
  const [user] = await tx.execute('select muted_until from users where id = ? for no key update', [payload.userId]);
  const [decision] = await tx.execute('select user_id, muted_until, ended_at from moderation_decisions where id = ?', [payload.decisionId]);
  return {
    decision: decision
      ? { userId: String(decision.user_id), mutedUntil: iso(decision.muted_until), ended: decision.ended_at !== null }
      : null,
    user: user ? { mutedUntil: user.muted_until ? iso(user.muted_until) : null } : null,
    now,
  };
}

export async function endMute(tx: Tx, { decisionId, userId, now }: MuteEnded): Promise<void> {
  await tx.execute('update moderation_decisions set ended_at = ? where id = ?', [now, decisionId]);
  await tx.execute('update users set muted_until = null where id = ? and muted_until <= ?', [userId, now]);
}

/**
 * Each of the user's rooms locked in id order, as LeaveRoom locks one, and
 * then the user's row (FOR UPDATE: it is deleted). Rooms first: a SendChat of
 * theirs holds its room's lock and then waits on the user row (its foreign
 * key), so taking the user first would deadlock with it.
 */
export async function loadDeleteAccount(tx: Tx, { actorId }: CommandEnvelope<'DeleteAccount'>, now: string): Promise<DeleteAccountState> {
  const memberships = await tx.execute('select room_id from room_members where user_id = ? order by room_id', [actorId]);
  const views = [];
  for (const { room_id } of memberships) views.push({ roomId: String(room_id), room: await roomView(tx, String(room_id), actorId, true) });
  const [locked] = await tx.execute('select id from users where id = ? for update', [actorId]);
  if (!locked) return { user: null, rooms: [], friends: [] };
  const [user] = await publicUsers(tx, [actorId]);
  const rooms = views.map(({ roomId, room }) => ({ roomId, leave: { room, leaver: user, now } }));
  const friendIds = await tx.execute('select friend_id from friendships where user_id = ?', [actorId]);
  return { user, rooms, friends: await publicUsers(tx, friendIds.map((row) => String(row.friend_id))) };
}

/**
 * Leaves every room (the SYSTEM message each), then deletes the user row:
 * friendships, blocks, bookmarks, reports they made, read markers and token
 * revocations go with it (foreign keys cascade), their messages keep a null
 * sender (on delete set null), and the username is free again. Their
 * moderation decisions go too: nothing of theirs stays readable.
 */
export async function deleteAccount(tx: Tx, { userId, departures }: AccountDeletion): Promise<void> {
  for (const departure of departures) await leave(tx, departure);
  await tx.execute('delete from moderation_decisions where user_id = ?', [userId]);
  // Files never sent go; sent ones stay with their messages (their owner becomes null).
  await deleteUnboundUploadsOf(tx, userId);
  await tx.execute('delete from users where id = ?', [userId]);
}
