import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, forbidden, notFound } from '../errors';
import { checkPageSize, parseSeqCursor, seqPageInfo } from '../rules';
import { MESSAGE_WITH_SENDER, USER_COLUMNS, messageWithSender, publicUser, type Row } from '../store/rows';
import type { ViewedMessage } from '../contracts/records';
import { MessageType, RoomType, UserType, type MessageConnectionType } from './types';

/**
 * The gateway's read side: queries straight against PostgreSQL, each answer
 * built in a fixed number of queries however many rooms or members it holds.
 */

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(',');
const USER_COLUMNS_OF_U = USER_COLUMNS.split(', ').map((c) => `u.${c}`).join(', ');

/** A message with its sender and whether the viewer bookmarked it; the viewer id is its first parameter. */
const VIEWED_MESSAGE = `exists (select 1 from bookmarks b where b.message_id = m.id and b.user_id = ?) as bookmarked,
  ${MESSAGE_WITH_SENDER}`;
const viewedMessage = (row: Row): ViewedMessage => ({ message: messageWithSender(row), bookmarked: Boolean(row.bookmarked) });
const messageType = (row: Row) => MessageType.from(messageWithSender(row), Boolean(row.bookmarked));

/** Whether a token was ended by logout. */
export async function isTokenRevoked(em: EntityManager, tokenId: string): Promise<boolean> {
  const rows = await em.execute('select 1 from revoked_tokens where token_id = ?', [tokenId]);
  return rows.length > 0;
}

export async function loadUser(em: EntityManager, userId: string, viewerId: string | null): Promise<UserType | null> {
  const [row] = await em.execute(`select ${USER_COLUMNS}, email from users where id = ?`, [userId]);
  if (!row) return null;
  return UserType.from(publicUser(row), userId === viewerId ? (row.email as string | null) : null);
}

export async function loadFriends(em: EntityManager, viewerId: string): Promise<UserType[]> {
  const rows = await em.execute(
    `select ${USER_COLUMNS_OF_U} from friendships f join users u on u.id = f.friend_id
     where f.user_id = ? order by u.username`,
    [viewerId],
  );
  return rows.map((row: Row) => UserType.from(publicUser(row)));
}

/** Users whose username or display name starts with `query` (case-insensitive), by username. */
export async function searchUsers(em: EntityManager, viewerId: string, query: string, first: number): Promise<UserType[]> {
  // The prefix is matched literally: % and _ in the query are not wildcards.
  const prefix = `${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await em.execute(
    `select ${USER_COLUMNS}, email from users where username like ? or lower(display_name) like ?
     order by username limit ?`,
    [prefix, prefix, first],
  );
  return rows.map((row: Row) => UserType.from(publicUser(row), row.id === viewerId ? (row.email as string | null) : null));
}

/** The viewer's rooms (or the given one among them), most recently active first, fully built in four queries. */
export async function loadRooms(em: EntityManager, viewerId: string, onlyRoomId?: string): Promise<RoomType[]> {
  const rooms = await em.execute(
    `select r.*, m.last_read_seq from rooms r join room_members m on m.room_id = r.id and m.user_id = ?
     ${onlyRoomId ? 'where r.id = ?' : ''} order by r.last_activity_at desc, r.id`,
    onlyRoomId ? [viewerId, onlyRoomId] : [viewerId],
  );
  if (rooms.length === 0) return [];
  const ids = rooms.map((r: Row) => String(r.id));
  const [members, lastMessages, unread] = await Promise.all([
    em.execute(
      `select m.room_id, ${USER_COLUMNS_OF_U} from room_members m
       join users u on u.id = m.user_id where m.room_id in (${placeholders(ids.length)}) order by m.joined_at, u.username`,
      ids,
    ),
    em.execute(
      `select ${VIEWED_MESSAGE} join rooms r on r.id = m.room_id and m.seq = r.last_seq
       where m.room_id in (${placeholders(ids.length)})`,
      [viewerId, ...ids],
    ),
    em.execute(
      `select msg.room_id, count(*)::int as unread from messages msg
       join room_members m on m.room_id = msg.room_id and m.user_id = ?
       where msg.room_id in (${placeholders(ids.length)}) and msg.seq > m.last_read_seq
         and msg.sender_id is distinct from ?
       group by msg.room_id`,
      [viewerId, ...ids, viewerId],
    ),
  ]);
  const membersByRoom = new Map<string, UserType[]>();
  for (const row of members) {
    const list = membersByRoom.get(String(row.room_id)) ?? [];
    list.push(UserType.from(publicUser(row)));
    membersByRoom.set(String(row.room_id), list);
  }
  const lastByRoom = new Map(lastMessages.map((row: Row) => [String(row.room_id), messageType(row)]));
  const unreadByRoom = new Map(unread.map((row: Row) => [String(row.room_id), Number(row.unread)]));
  return rooms.map((row: Row) => {
    const id = String(row.id);
    const last = lastByRoom.get(id);
    return Object.assign(new RoomType(), {
      id,
      name: String(row.name),
      createdAt: new Date(row.created_at as string),
      members: membersByRoom.get(id) ?? [],
      lastSeq: Number(row.last_seq),
      lastMessage: last ?? null,
      lastReadSeq: Number(row.last_read_seq),
      unreadCount: unreadByRoom.get(id) ?? 0,
    });
  });
}

/** One room of the viewer's; null when there is no such room, FORBIDDEN when the viewer is not a member. */
export async function loadRoom(em: EntityManager, viewerId: string, roomId: string): Promise<RoomType | null> {
  const [room] = await loadRooms(em, viewerId, roomId);
  if (room) return room;
  const [exists] = await em.execute('select 1 from rooms where id = ?', [roomId]);
  if (exists) throw forbidden('only members can read this room');
  return null;
}

/** The viewer's bookmarks in rooms they still belong to, newest bookmark first. */
export async function loadBookmarks(em: EntityManager, viewerId: string): Promise<MessageType[]> {
  const rows = await em.execute(
    `select ${MESSAGE_WITH_SENDER}
     join bookmarks bm on bm.message_id = m.id and bm.user_id = ?
     join room_members rm on rm.room_id = m.room_id and rm.user_id = bm.user_id
     order by bm.created_at desc, m.id`,
    [viewerId],
  );
  return rows.map((row: Row) => MessageType.from(messageWithSender(row), true));
}

/** NOT_FOUND when the room does not exist, FORBIDDEN when the viewer is not a member; else the room's lastSeq. */
export async function requireMembership(em: EntityManager, viewerId: string, roomId: string): Promise<number> {
  const [row] = await em.execute(
    `select r.last_seq, m.user_id from rooms r left join room_members m on m.room_id = r.id and m.user_id = ?
     where r.id = ?`,
    [viewerId, roomId],
  );
  if (!row) throw notFound('no such room');
  if (!row.user_id) throw forbidden('only members can read this room');
  return Number(row.last_seq);
}

/** Stored messages of a room with afterSeq < seq < beforeSeq, ascending, at most `limit` from the chosen end. */
export async function loadMessages(
  em: EntityManager,
  roomId: string,
  viewerId: string,
  range: { afterSeq?: number; beforeSeq?: number; limit: number; fromEnd: boolean },
): Promise<ViewedMessage[]> {
  const rows = await em.execute(
    `select ${VIEWED_MESSAGE} where m.room_id = ? and m.seq > ? and m.seq < ?
     order by m.seq ${range.fromEnd ? 'desc' : 'asc'} limit ?`,
    [viewerId, roomId, range.afterSeq ?? 0, range.beforeSeq ?? 2 ** 31 - 1, range.limit],
  );
  const messages = rows.map(viewedMessage);
  return range.fromEnd ? messages.reverse() : messages;
}

/**
 * A Relay connection over seq; cursors are the seq itself. Neither `first`
 * nor `last` means the newest 50. The membership check and the page are one
 * statement: history is the hottest read, and each round trip to PostgreSQL
 * costs more here than the query itself.
 */
export async function messagesPage(
  em: EntityManager,
  viewerId: string,
  args: { roomId: string; first?: number | null; after?: string | null; last?: number | null; before?: string | null },
): Promise<MessageConnectionType> {
  if (args.first != null && args.last != null) throw badInput('give either first or last, not both');
  const afterSeq = parseSeqCursor('after', args.after);
  const beforeSeq = parseSeqCursor('before', args.before);
  const fromEnd = args.first == null;
  const limit = args.first != null ? checkPageSize('first', args.first) : args.last != null ? checkPageSize('last', args.last) : 50;
  // One row per message of the page, or one row of nulls beside the room's own columns when the page is empty or the viewer is no member.
  const rows = await em.execute(
    `select r.last_seq as room_last_seq, rm.user_id is not null as viewer_is_member, page.*
     from rooms r
     left join room_members rm on rm.room_id = r.id and rm.user_id = ?
     left join lateral (
       select ${VIEWED_MESSAGE} where m.room_id = r.id and rm.user_id is not null and m.seq > ? and m.seq < ?
       order by m.seq ${fromEnd ? 'desc' : 'asc'} limit ?
     ) page on true
     where r.id = ?`,
    [viewerId, viewerId, afterSeq ?? 0, beforeSeq ?? 2 ** 31 - 1, limit, args.roomId],
  );
  if (rows.length === 0) throw notFound('no such room');
  if (!rows[0].viewer_is_member) throw forbidden('only members can read this room');
  const messages = rows.filter((row: Row) => row.id != null).map(viewedMessage);
  if (fromEnd) messages.reverse();
  const edges = messages.map(({ message, bookmarked }) => ({ cursor: String(message.seq), node: MessageType.from(message, bookmarked) }));
  return { edges, pageInfo: seqPageInfo(messages.map((m) => m.message.seq), Number(rows[0].room_last_seq), afterSeq, beforeSeq) };
}
