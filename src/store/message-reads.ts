import type { EntityManager } from '@mikro-orm/postgresql';
import type { ViewedMessage } from '../contracts/records';
import { badInput } from '../errors';
import { requireMembership } from './reads';
import { MESSAGE_WITH_SENDER, messageWithSender, type Row } from './rows';

/**
 * The gateway's reads for changes of messages and for searchMessages. Search
 * runs on messages.search_vector (generated from the body with the 'english'
 * configuration, GIN-indexed): the query is plain words (websearch_to_tsquery,
 * never a query language), words match their stems ("running" finds "run").
 */

/** The text search configuration of the query; it must be the one search_vector is built with (see the README to add a language). */
export const SEARCH_CONFIG = 'english';

/** The room of a message, or null when there is no such message: changes of a message are keyed by its room. */
export async function messageRoomId(em: EntityManager, messageId: string): Promise<string | null> {
  const [row] = await em.execute('select room_id from messages where id = ?', [messageId]);
  return row ? String(row.room_id) : null;
}

export interface SearchHit {
  viewed: ViewedMessage;
  /** Opaque: where the next page starts after this hit. */
  cursor: string;
}
export interface SearchPage {
  hits: SearchHit[];
  hasNextPage: boolean;
}

/** A position in the results: the rank (float4, exact through JSON) and the message id that breaks ties. */
type Position = [rank: number, id: string];
const encodeCursor = (p: Position) => Buffer.from(JSON.stringify(p)).toString('base64url');
function decodeCursor(cursor: string): Position {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && typeof p[1] === 'string' && /^[0-9a-f-]{36}$/.test(p[1])) {
      return p as Position;
    }
  } catch {
    // fall through
  }
  throw badInput('after is not a valid cursor: give the cursor of a result of the same search');
}

/**
 * Messages matching `query` in the rooms the viewer is a member of now (or in
 * `roomId`, with requireMembership's errors), best match first, deleted ones
 * never; at most `first`, after the result named by `after`.
 */
export async function searchMessages(
  em: EntityManager,
  viewerId: string,
  query: string,
  options: { roomId: string | null; first: number; after: string | null },
): Promise<SearchPage> {
  if (options.roomId !== null) await requireMembership(em, viewerId, options.roomId);
  const after = options.after === null ? null : decodeCursor(options.after);
  const rank = 'ts_rank(m.search_vector, q)';
  const rows: Row[] = await em.execute(
    `select ${rank} as rank,
       exists (select 1 from bookmarks b where b.message_id = m.id and b.user_id = ?) as bookmarked,
       ${MESSAGE_WITH_SENDER}
     join room_members rm on rm.room_id = m.room_id and rm.user_id = ?
     cross join websearch_to_tsquery('${SEARCH_CONFIG}', ?) q
     where m.search_vector @@ q and not m.deleted
       ${options.roomId !== null ? 'and m.room_id = ?' : ''}
       ${after ? `and (${rank} < ?::real or (${rank} = ?::real and m.id > ?))` : ''}
     order by rank desc, m.id
     limit ?`,
    [
      viewerId,
      viewerId,
      query,
      ...(options.roomId !== null ? [options.roomId] : []),
      ...(after ? [after[0], after[0], after[1]] : []),
      options.first + 1,
    ],
  );
  const hits = rows.slice(0, options.first).map((row) => ({
    viewed: { message: messageWithSender(row), bookmarked: Boolean(row.bookmarked) },
    cursor: encodeCursor([Number(row.rank), String(row.id)]),
  }));
  return { hits, hasNextPage: rows.length > options.first };
}

/** Whether the viewer has bookmarked a message. */
export async function isBookmarked(em: EntityManager, viewerId: string, messageId: string): Promise<boolean> {
  const rows = await em.execute('select 1 from bookmarks where user_id = ? and message_id = ?', [viewerId, messageId]);
  return rows.length > 0;
}
