import type { EntityManager } from '@mikro-orm/postgresql';
import type { PublicUser, ViewedMessage } from '../contracts/records';
import { badInput, forbidden, notFound } from '../errors';
import type { SeqRange } from '../rules';
import { MESSAGE_WITH_SENDER, USER_COLUMNS, iso, messageWithSender, publicUser, type Row } from './rows';

/**
 * The read side's queries, as the gateway serves them: each answer is built in
 * a fixed number of statements however many rooms or members it holds. They
 * return records and views of them; the gateway maps those to GraphQL.
 */

/** A user as a viewer sees them: `email` is the user's own only when the viewer is that user, else null. */
export type ViewedUser = PublicUser & { email: string | null; mutedUntil?: string | null };

/** A room as one of its members sees it. */
export interface RoomView {
  id: string;
  name: string;
  createdAt: string;
  members: PublicUser[];
  lastSeq: number;
  lastMessage: ViewedMessage | null;
  lastReadSeq: number;
  unreadCount: number;
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(',');
const USER_COLUMNS_OF_U = USER_COLUMNS.split(', ').map((c) => `u.${c}`).join(', ');
/** Past any seq: an int column's largest value. */
const NO_UPPER_SEQ = 2 ** 31 - 1;

/** A message with its sender and whether the viewer bookmarked it; the viewer id is its first parameter. */
const VIEWED_MESSAGE = `exists (select 1 from bookmarks b where b.message_id = m.id and b.user_id = ?) as bookmarked,
  ${MESSAGE_WITH_SENDER}`;
const viewedMessage = (row: Row): ViewedMessage => ({ message: messageWithSender(row), bookmarked: Boolean(row.bookmarked) });
const viewedUser = (row: Row, viewerId: string | null): ViewedUser => ({
  ...publicUser(row),
  email: row.id === viewerId ? ((row.email as string | null) ?? null) : null,
});

/**
 * Whether a token was ended by logout, or its user deleted their account
 * (given `userId`): one read, so every gateway refuses a deleted account's
 * tokens as soon as the deletion is committed.
 */
export async function isTokenRevoked(em: EntityManager, tokenId: string, userId?: string): Promise<boolean> {
  if (userId === undefined) {
    const rows = await em.execute('select 1 from revoked_tokens where token_id = ?', [tokenId]);
    return rows.length > 0;
  }
  const [row] = await em.execute(
    'select exists (select 1 from revoked_tokens where token_id = ?) or not exists (select 1 from users where id = ?) as refused',
    [tokenId, userId],
  );
  return Boolean(row.refused);
}


/** The password hash of a user, to check a password against (deleteAccount); null without the user. */
export async function findPasswordHash(em: EntityManager, userId: string): Promise<string | null> {
  const [row] = await em.execute('select password_hash from users where id = ?', [userId]);
  return row ? String(row.password_hash) : null;
}

/** What login checks a password against; null when no user has that (normalized) username. */
export async function findLogin(em: EntityManager, username: string): Promise<{ userId: string; passwordHash: string } | null> {
  const [row] = await em.execute('select id, password_hash from users where username = ?', [username]);
  return row ? { userId: String(row.id), passwordHash: String(row.password_hash) } : null;
}

export async function loadUser(em: EntityManager, userId: string, viewerId: string | null): Promise<ViewedUser | null> {
  const [row] = await em.execute(
    `select ${USER_COLUMNS}, email, case when muted_until > now() then muted_until end as muted_until from users where id = ?`,
    [userId],
  );
  if (!row) return null;
  // Only the user themself sees their mute.
  return { ...viewedUser(row, viewerId), mutedUntil: row.id === viewerId && row.muted_until ? iso(row.muted_until) : null };
}

/** A page of a list: at most `first` items (all without it), after the item named by `after`. */
export interface ListPage {
  first?: number;
  after?: string;
}

/** Past any list a user can hold (LIMITS' per-user bounds): the limit of a list asked for whole. */
const WHOLE_LIST = 2 ** 31 - 1;

/** The viewer's friends by username; `after` is a username (the last of the previous page). */
export async function loadFriends(em: EntityManager, viewerId: string, page: ListPage = {}): Promise<PublicUser[]> {
  const rows = await em.execute(
    `select ${USER_COLUMNS_OF_U} from friendships f join users u on u.id = f.friend_id
     where f.user_id = ? ${page.after !== undefined ? 'and u.username > ?' : ''} order by u.username limit ?`,
    [viewerId, ...(page.after !== undefined ? [page.after] : []), page.first ?? WHOLE_LIST],
  );
  return rows.map((row: Row) => publicUser(row));
}

/** The users the viewer has blocked, the most recent first. */
export async function loadBlockedUsers(em: EntityManager, viewerId: string): Promise<PublicUser[]> {
  const rows = await em.execute(
    `select ${USER_COLUMNS_OF_U} from blocks b join users u on u.id = b.blocked_id
     where b.user_id = ? order by b.created_at desc, u.username`,
    [viewerId],
  );
  return rows.map((row: Row) => publicUser(row));
}

/** Users whose username or display name starts with `query` (case-insensitive), by username. */
export async function searchUsers(em: EntityManager, viewerId: string, query: string, first: number): Promise<ViewedUser[]> {
  // The prefix is matched literally: % and _ in the query are not wildcards.
  const prefix = `${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await em.execute(
    `select ${USER_COLUMNS}, email from users where username like ? or lower(display_name) like ?
     order by username limit ?`,
    [prefix, prefix, first],
  );
  return rows.map((row: Row) => viewedUser(row, viewerId));
}

/**
 * The viewer's rooms (or the given one among them), most recently active
 * first, the first `first` of them (all without it), fully built in four queries.
 */
export async function loadRooms(em: EntityManager, viewerId: string, onlyRoomId?: string, first?: number): Promise<RoomView[]> {
  const rooms = await em.execute(
    `select r.*, m.last_read_seq from rooms r join room_members m on m.room_id = r.id and m.user_id = ?
     ${onlyRoomId ? 'where r.id = ?' : ''} order by r.last_activity_at desc, r.id limit ?`,
    [viewerId, ...(onlyRoomId ? [onlyRoomId] : []), first ?? WHOLE_LIST],
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
  const membersByRoom = new Map<string, PublicUser[]>();
  for (const row of members) {
    const list = membersByRoom.get(String(row.room_id)) ?? [];
    list.push(publicUser(row));
    membersByRoom.set(String(row.room_id), list);
  }
  const lastByRoom = new Map(lastMessages.map((row: Row) => [String(row.room_id), viewedMessage(row)]));
  const unreadByRoom = new Map(unread.map((row: Row) => [String(row.room_id), Number(row.unread)]));
  return rooms.map((row: Row): RoomView => {
    const id = String(row.id);
    return {
      id,
      name: String(row.name),
      createdAt: new Date(row.created_at as string).toISOString(),
      members: membersByRoom.get(id) ?? [],
      lastSeq: Number(row.last_seq),
      lastMessage: lastByRoom.get(id) ?? null,
      lastReadSeq: Number(row.last_read_seq),
      unreadCount: unreadByRoom.get(id) ?? 0,
    };
  });
}

/** One room of the viewer's; null when there is no such room, FORBIDDEN when the viewer is not a member. */
export async function loadRoom(em: EntityManager, viewerId: string, roomId: string): Promise<RoomView | null> {
  const [room] = await loadRooms(em, viewerId, roomId);
  if (room) return room;
  const [exists] = await em.execute('select 1 from rooms where id = ?', [roomId]);
  if (exists) throw forbidden('only members can read this room');
  return null;
}

/**
 * The viewer's bookmarks in rooms they still belong to, newest bookmark first;
 * `after` is the id of a bookmarked message (the last of the previous page):
 * BAD_USER_INPUT when the viewer has no such bookmark.
 */
export async function loadBookmarks(em: EntityManager, viewerId: string, page: ListPage = {}): Promise<ViewedMessage[]> {
  let after = '';
  const params: unknown[] = [viewerId];
  if (page.after !== undefined) {
    const [cursor] = await em.execute('select 1 from bookmarks where user_id = ? and message_id = ?', [viewerId, page.after]);
    if (!cursor) throw badInput('after is not a valid cursor: give the id of a message you have bookmarked');
    // The bookmark's own time, compared in the database: a JavaScript Date would lose its microseconds.
    after = `join bookmarks c on c.user_id = bm.user_id and c.message_id = ?
      where bm.created_at < c.created_at or (bm.created_at = c.created_at and m.id > c.message_id)`;
    params.push(page.after);
  }
  const rows = await em.execute(
    `select ${MESSAGE_WITH_SENDER}
     join bookmarks bm on bm.message_id = m.id and bm.user_id = ?
     join room_members rm on rm.room_id = m.room_id and rm.user_id = bm.user_id
     ${after}
     order by bm.created_at desc, m.id limit ?`,
    [...params, page.first ?? WHOLE_LIST],
  );
  return rows.map((row: Row) => ({ message: messageWithSender(row), bookmarked: true }));
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

/** Stored messages of a room in the range, ascending (the live stream's gap fill; membership is checked by the caller). */
export async function loadMessages(em: EntityManager, viewerId: string, roomId: string, range: SeqRange): Promise<ViewedMessage[]> {
  const rows = await em.execute(
    `select ${VIEWED_MESSAGE} where m.room_id = ? and m.seq > ? and m.seq < ?
     order by m.seq ${range.fromEnd ? 'desc' : 'asc'} limit ?`,
    [viewerId, roomId, range.afterSeq ?? 0, range.beforeSeq ?? NO_UPPER_SEQ, range.limit],
  );
  const messages = rows.map(viewedMessage);
  return range.fromEnd ? messages.reverse() : messages;
}

/**
 * A page of a room's history (ascending) and the room's lastSeq, with
 * requireMembership's errors. The membership check and the page are one
 * statement: history is the hottest read, and each round trip to PostgreSQL
 * costs more here than the query itself.
 */
export async function loadMessagePage(
  em: EntityManager,
  viewerId: string,
  roomId: string,
  range: SeqRange,
): Promise<{ lastSeq: number; messages: ViewedMessage[] }> {
  // One row per message of the page, or one row of nulls beside the room's own columns when the page is empty or the viewer is no member.
  const rows = await em.execute(
    `select r.last_seq as room_last_seq, rm.user_id is not null as viewer_is_member, page.*
     from rooms r
     left join room_members rm on rm.room_id = r.id and rm.user_id = ?
     left join lateral (
       select ${VIEWED_MESSAGE} where m.room_id = r.id and rm.user_id is not null and m.seq > ? and m.seq < ?
       order by m.seq ${range.fromEnd ? 'desc' : 'asc'} limit ?
     ) page on true
     where r.id = ?`,
    [viewerId, viewerId, range.afterSeq ?? 0, range.beforeSeq ?? NO_UPPER_SEQ, range.limit, roomId],
  );
  if (rows.length === 0) throw notFound('no such room');
  if (!rows[0].viewer_is_member) throw forbidden('only members can read this room');
  const messages = rows.filter((row: Row) => row.id != null).map(viewedMessage);
  if (range.fromEnd) messages.reverse();
  return { lastSeq: Number(rows[0].room_last_seq), messages };
}

/** A real round trip to PostgreSQL, for readiness: a pool can look connected to a server that is gone. */
export async function ping(em: EntityManager): Promise<void> {
  await em.execute('select 1');
}

/** A room's members, as Room.members lists them (myEvents reads it once per gateway when members come or go). */
export async function loadRoomMembers(em: EntityManager, roomId: string): Promise<PublicUser[]> {
  const rows = await em.execute(
    `select ${USER_COLUMNS_OF_U} from room_members m join users u on u.id = m.user_id
     where m.room_id = ? order by m.joined_at, u.username`,
    [roomId],
  );
  return rows.map((row: Row) => publicUser(row));
}

/** The ids of the viewer's friends (who may see the viewer's presence, and whose the viewer may see). */
export async function loadFriendIds(em: EntityManager, viewerId: string): Promise<string[]> {
  const rows = await em.execute('select friend_id from friendships where user_id = ?', [viewerId]);
  return rows.map((row: Row) => String(row.friend_id));
}
