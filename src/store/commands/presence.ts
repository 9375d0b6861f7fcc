import type { LastSeen } from '../../commands/presence';
import type { Tx } from '../transaction';

export async function recordLastSeen(tx: Tx, { userId, at }: LastSeen): Promise<void> {
  await tx.execute('update users set last_seen_at = greatest(coalesce(last_seen_at, ?), ?) where id = ?', [at, at, userId]);
}
