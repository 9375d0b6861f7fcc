import type { MessageRecord, PublicUser } from '../contracts/records';

/** Raw SQL rows (snake_case columns) turned into the record shapes the rest of the service speaks. */
export type Row = Record<string, unknown>;

export const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

export const USER_COLUMNS = 'id, username, display_name, status_message, created_at, last_login_at, last_logout_at, last_seen_at';

/** `prefix` reads the same columns aliased as `<prefix>id`, `<prefix>username`, ... (from a join). */
export function publicUser(row: Row, prefix = ''): PublicUser {
  return {
    id: String(row[`${prefix}id`]),
    username: String(row[`${prefix}username`]),
    displayName: String(row[`${prefix}display_name`]),
    statusMessage: String(row[`${prefix}status_message`]),
    createdAt: iso(row[`${prefix}created_at`]),
    lastLoginAt: isoOrNull(row[`${prefix}last_login_at`]),
    lastLogoutAt: isoOrNull(row[`${prefix}last_logout_at`]),
    // Read where the row has it (not with a message's sender).
    ...(row[`${prefix}last_seen_at`] === undefined ? {} : { lastSeenAt: isoOrNull(row[`${prefix}last_seen_at`]) }),
  };
}

export function messageRecord(row: Row, sender: PublicUser | null): MessageRecord {
  return {
    id: String(row.id),
    roomId: String(row.room_id),
    seq: Number(row.seq),
    kind: row.kind as MessageRecord['kind'],
    body: String(row.body),
    sender,
    attachment: (row.attachment as MessageRecord['attachment']) ?? null,
    clientMessageId: (row.client_message_id as string | null) ?? null,
    system: (row.system as MessageRecord['system']) ?? null,
    createdAt: iso(row.created_at),
    // Absent from rows read without them (MESSAGE_WITH_SENDER reads them all).
    replyTo: row.reply_to ? replyToRecord(row.reply_to as Row) : null,
    version: row.version === undefined ? 1 : Number(row.version),
    editedAt: isoOrNull(row.edited_at),
    deleted: Boolean(row.deleted),
    reactions: (row.reactions as MessageRecord['reactions']) ?? [],
    ...(row.unread_by == null ? {} : { unreadBy: Number(row.unread_by) }),
  };
}

/** A replied-to message as REPLY_TO reads it (JSON, with its sender inside). */
function replyToRecord(json: Row): MessageRecord {
  const sender = json.sender ? publicUser(json.sender as Row) : null;
  return { ...messageRecord(json, sender), replyTo: null, reactions: [] };
}

/** A message's columns, without its search vector (large, and only ever searched). */
const MESSAGE_COLUMNS = `m.id, m.room_id, m.seq, m.kind, m.body, m.sender_id, m.attachment, m.client_message_id, m.system,
  m.created_at, m.reply_to_id, m.version, m.edited_at, m.deleted`;

/** The message `m` answers, as it is now, in one JSON value (null when none). */
const REPLY_TO = `(select json_build_object('id', o.id, 'room_id', o.room_id, 'seq', o.seq, 'kind', o.kind, 'body', o.body,
    'attachment', o.attachment, 'client_message_id', o.client_message_id, 'system', o.system, 'created_at', o.created_at,
    'version', o.version, 'edited_at', o.edited_at, 'deleted', o.deleted,
    'sender', (select row_to_json(u) from (select ${USER_COLUMNS} from users where id = o.sender_id) u))
  from messages o where o.id = m.reply_to_id)`;

/** m's reactions as ReactionRecords, in orderReactions' order (count, then emoji by code point: the "C" collation). */
const REACTIONS = `(select coalesce(json_agg(json_build_object('emoji', x.emoji, 'userIds', x.user_ids) order by x.n desc, x.emoji collate "C"), '[]'::json)
  from (select r.emoji, count(*) as n, array_agg(r.user_id order by r.created_at, r.user_id) as user_ids
        from message_reactions r where r.message_id = m.id group by r.emoji) x)`;

/**
 * Message.unreadBy of `m`: members other than the sender whose read marker is
 * below it. Read with every message, so every place a Message is read has it
 * (the room_members primary key starts with room_id).
 */
const UNREAD_BY = `(select count(*)::int from room_members um
    where um.room_id = m.room_id and um.last_read_seq < m.seq and um.user_id is distinct from m.sender_id) as unread_by`;

/** Selects a message with its sender's public columns prefixed `s_`, its replyTo and reactions, for messageWithSender. */
export const MESSAGE_WITH_SENDER = `${MESSAGE_COLUMNS}, ${REPLY_TO} as reply_to, ${REACTIONS} as reactions,
  s.id as s_id, s.username as s_username, s.display_name as s_display_name,
  s.status_message as s_status_message, s.created_at as s_created_at, s.last_login_at as s_last_login_at,
  s.last_logout_at as s_last_logout_at, ${UNREAD_BY}
  from messages m left join users s on s.id = m.sender_id`;

export function messageWithSender(row: Row): MessageRecord {
  return messageRecord(row, row.s_id ? publicUser(row, 's_') : null);
}
