import type { MikroORM } from '@mikro-orm/postgresql';
import { classified } from './errors';
import { iso } from './rows';

/** The moderator's reads (it writes nothing: it acts through commands). */

export interface ReportedUser {
  userId: string;
  /** The reports counted, oldest first. */
  reports: { messageId: string; reporterId: string }[];
  /** The newest report's time. */
  lastAt: string;
}

/**
 * Users whose messages `threshold` or more distinct members reported within
 * `windowSeconds`, counting only reports made after the user's latest mute
 * (what it already answered does not count again).
 */
export async function reportedUsers(orm: MikroORM, threshold: number, windowSeconds: number): Promise<ReportedUser[]> {
  const rows = await classified(
    orm.em.fork().execute(
      `select m.sender_id as user_id,
         json_agg(json_build_object('messageId', r.message_id, 'reporterId', r.reporter_id) order by r.created_at, r.message_id) as reports,
         max(r.created_at) as last_at
       from message_reports r join messages m on m.id = r.message_id
       where r.created_at > now() - ?::interval and m.sender_id is not null
         and r.created_at > coalesce((select max(d.created_at) from moderation_decisions d where d.user_id = m.sender_id), '-infinity')
       group by m.sender_id
       having count(distinct r.reporter_id) >= ?
       limit 100`,
      [`${windowSeconds} seconds`, threshold],
    ),
  );
  return rows.map((row) => ({
    userId: String(row.user_id),
    reports: row.reports as ReportedUser['reports'],
    lastAt: iso(row.last_at),
  }));
}

/** Decisions whose mute is over and not yet closed (EndMute closes them, with the UNMUTED notice). */
export async function mutesOver(orm: MikroORM, limit: number): Promise<{ decisionId: string; userId: string }[]> {
  const rows = await classified(
    orm.em.fork().execute(
      'select id, user_id from moderation_decisions where ended_at is null and muted_until <= now() order by muted_until limit ?',
      [limit],
    ),
  );
  return rows.map((row) => ({ decisionId: String(row.id), userId: String(row.user_id) }));
}
