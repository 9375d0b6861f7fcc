import type { MessageRecord, PublicUser } from '../../contracts/records';
import type { RoomView } from '../../commands/decision';
import type { Appended } from '../../commands/rooms';
import { USER_COLUMNS, publicUser } from '../rows';
import { placeholders, type Tx } from '../transaction';

/**
 * A room as `userId` sees it, or null. With `lock`, the room row stays locked
 * until the transaction ends, so one room's numbering and membership changes
 * are applied one at a time, even by two workers that overlap.
 */
export async function roomView(tx: Tx, roomId: string, userId: string, lock: boolean): Promise<RoomView | null> {
  const [row] = await tx.execute(
    `select r.last_seq, m.user_id from rooms r left join room_members m on m.room_id = r.id and m.user_id = ?
     where r.id = ? ${lock ? 'for update of r' : ''}`,
    [userId, roomId],
  );
  return row ? { lastSeq: Number(row.last_seq), isMember: Boolean(row.user_id) } : null;
}

export async function publicUsers(tx: Tx, ids: string[]): Promise<PublicUser[]> {
  if (ids.length === 0) return [];
  const rows = await tx.execute(`select ${USER_COLUMNS} from users where id in (${placeholders(ids.length)})`, ids);
  return rows.map((row) => publicUser(row));
}

/** How many members a room has (read under the room's lock, it holds until the commit). */
export async function memberCount(tx: Tx, roomId: string): Promise<number> {
  const [row] = await tx.execute('select count(*)::int as members from room_members where room_id = ?', [roomId]);
  return Number(row.members);
}

/** Which of `ids` are friends of `userId`. */
export async function friendsAmong(tx: Tx, userId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx.execute(
    `select friend_id from friendships where user_id = ? and friend_id in (${placeholders(ids.length)})`,
    [userId, ...ids],
  );
  return rows.map((row) => String(row.friend_id));
}

/** How many rooms each of `ids` is in; those in none are absent. */
export async function roomCounts(tx: Tx, ids: string[]): Promise<Record<string, number>> {
  if (ids.length === 0) return {};
  const rows = await tx.execute(
    `select user_id, count(*)::int as rooms from room_members where user_id in (${placeholders(ids.length)}) group by user_id`,
    ids,
  );
  return Object.fromEntries(rows.map((row) => [String(row.user_id), Number(row.rooms)]));
}

/** Writes decided messages and moves the room's lastSeq to the last one (the unique (room, seq) index guards the numbering). */
export async function appendMessages(tx: Tx, { roomId, messages }: Appended): Promise<void> {
  if (messages.length === 0) return;
  const last = messages[messages.length - 1];
  // One statement, one round trip: the insert in a CTE, then the room's update.
  await tx.execute(
    `with inserted as (
       insert into messages (id, room_id, seq, kind, body, sender_id, attachment, client_message_id, system, created_at, reply_to_id)
       values ${messages.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} returning 1)
     update rooms set last_seq = ?, last_activity_at = ? where id = ?`,
    [...messages.flatMap((m: MessageRecord) => [
      m.id,
      m.roomId,
      m.seq,
      m.kind,
      m.body,
      m.sender?.id ?? null,
      m.attachment ? JSON.stringify(m.attachment) : null,
      m.clientMessageId,
      m.system ? JSON.stringify(m.system) : null,
      m.createdAt,
      m.replyTo?.id ?? null,
    ]), last.seq, last.createdAt, roomId],
  );
}
