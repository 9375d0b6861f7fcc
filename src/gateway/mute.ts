import { UserError } from '../errors';
import { loadMutedUntil } from '../store/reads';
import type { Context } from './context';

/**
 * Refuses what a muted user may not do (sendChat; editMessage and addReaction
 * too): FORBIDDEN with `extensions.reason: "MUTED"` and `extensions.until`.
 * Checked at the gateway, before the command is produced: a mute decided
 * while a send is already on its way lets that one send through.
 */
export async function refuseIfMuted(ctx: Context, userId: string): Promise<void> {
  const until = await loadMutedUntil(ctx.em, userId);
  if (until !== null) throw new UserError('FORBIDDEN', `you are muted until ${until}`, { reason: 'MUTED', until });
}
