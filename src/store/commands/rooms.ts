import type { CommandEnvelope } from '../../contracts/commands';
import type {
  CreateRoomState,
  Departure,
  InviteState,
  Invitation,
  LeaveState,
  MarkReadState,
  NewRoom,
  ReadMarker,
} from '../../commands/rooms';
import type { Tx } from '../transaction';
import { appendMessages, friendsAmong, memberCount, publicUsers, roomCounts, roomView } from './common';

export async function loadCreateRoom(tx: Tx, { actorId, payload }: CommandEnvelope<'CreateRoom'>): Promise<CreateRoomState> {
  const memberIds = [...new Set(payload.memberIds)];
  return {
    friendIds: await friendsAmong(tx, actorId, memberIds),
    roomCounts: await roomCounts(tx, [...new Set([actorId, ...memberIds])]),
  };
}

export async function insertRoom(tx: Tx, { roomId, name, memberIds }: NewRoom): Promise<void> {
  await tx.execute('insert into rooms (id, name, created_at, last_seq, last_activity_at) values (?, ?, now(), 0, now())', [roomId, name]);
  await tx.execute(
    `insert into room_members (room_id, user_id, last_read_seq, joined_at) values ${memberIds.map(() => '(?, ?, 0, now())').join(', ')}`,
    memberIds.flatMap((userId) => [roomId, userId]),
  );
}

export async function loadInvite(tx: Tx, { actorId, payload }: CommandEnvelope<'InviteToRoom'>, now: string): Promise<InviteState> {
  const room = await roomView(tx, payload.roomId, actorId, true);
  if (!room?.isMember) return { room, memberIds: [], friendIds: [], roomCounts: {}, users: [], now };
  const invited = [...new Set(payload.userIds)];
  const members = await tx.execute('select user_id from room_members where room_id = ?', [payload.roomId]);
  return {
    room,
    memberIds: members.map((row) => String(row.user_id)),
    friendIds: await friendsAmong(tx, actorId, invited),
    roomCounts: await roomCounts(tx, invited),
    users: await publicUsers(tx, [actorId, ...invited]),
    now,
  };
}

export async function invite(tx: Tx, invitation: Invitation): Promise<void> {
  const { roomId, newMembers } = invitation;
  await tx.execute(
    `insert into room_members (room_id, user_id, last_read_seq, joined_at) values ${newMembers.map(() => '(?, ?, ?, now())').join(', ')}`,
    newMembers.flatMap((m) => [roomId, m.userId, m.lastReadSeq]),
  );
  await appendMessages(tx, invitation);
}

export async function loadLeave(tx: Tx, { actorId, payload }: CommandEnvelope<'LeaveRoom'>, now: string): Promise<LeaveState> {
  const room = await roomView(tx, payload.roomId, actorId, true);
  if (!room?.isMember) return { room, leaver: null, now };
  const [leaver] = await publicUsers(tx, [actorId]);
  return { room, leaver: leaver ?? null, now, memberCount: await memberCount(tx, payload.roomId) };
}

export async function leave(tx: Tx, departure: Departure): Promise<void> {
  await tx.execute('delete from room_members where room_id = ? and user_id = ?', [departure.roomId, departure.userId]);
  await appendMessages(tx, departure);
}

export async function loadMarkRead(tx: Tx, { actorId, payload }: CommandEnvelope<'MarkRead'>): Promise<MarkReadState> {
  const room = await roomView(tx, payload.roomId, actorId, false);
  if (!room?.isMember) return { room };
  // Keyed by the room: one room's markers move one at a time, so this marker is the one the update below moves from.
  const [row] = await tx.execute('select last_read_seq from room_members where room_id = ? and user_id = ?', [payload.roomId, actorId]);
  const [user] = await publicUsers(tx, [actorId]);
  return { room, lastReadSeq: Number(row?.last_read_seq ?? 0), user: user ?? null };
}

/** The greater marker wins: a late or repeated markRead never un-reads messages. */
export async function moveReadMarker(tx: Tx, { roomId, userId, seq }: ReadMarker): Promise<void> {
  await tx.execute('update room_members set last_read_seq = greatest(last_read_seq, ?) where room_id = ? and user_id = ?', [
    seq,
    roomId,
    userId,
  ]);
}
