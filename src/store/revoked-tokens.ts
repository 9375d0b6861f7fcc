import type { MikroORM } from '@mikro-orm/postgresql';
import { classified } from './errors';

/** Removes up to `limit` revocations of tokens that have expired (an expired token is refused anyway); returns how many. */
export async function sweepRevokedTokens(orm: MikroORM, limit: number): Promise<number> {
  const rows = await classified(
    orm.em.fork().execute(
      `delete from revoked_tokens where token_id in
         (select token_id from revoked_tokens where expires_at < now() limit ? for update skip locked)
       returning 1`,
      [limit],
    ),
  );
  return rows.length;
}
