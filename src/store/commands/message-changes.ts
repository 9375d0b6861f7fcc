import type { CommandEnvelope } from '../../contracts/commands';
import type { MessageRecord } from '../../contracts/records';
import type { MessageChange, MessageChangeState } from '../../commands/message-changes';
import { MESSAGE_WITH_SENDER, iso, messageWithSender } from '../rows';
import type { Tx } from '../transaction';
import { deleteUploadsOfMessage } from '../uploads';

/** A message as it is now (replyTo, reactions, sender), or null; with `lock`, its row stays locked until the transaction ends. */
export async function loadMessageRecord(tx: Tx, messageId: string, lock: boolean): Promise<MessageRecord | null> {
  const [row] = await tx.execute(`select ${MESSAGE_WITH_SENDER} where m.id = ? ${lock ? 'for update of m' : ''}`, [messageId]);
  return row ? messageWithSender(row) : null;
}

type ChangeType = 'EditMessage' | 'DeleteMessage' | 'AddReaction' | 'RemoveReaction';

/**
 * The state of every change of a message. The commands are keyed by the room,
 * so one worker applies a room's changes in order; the message's row lock
 * keeps them one at a time even while two workers overlap (a rebalance), so
 * no concurrent reaction or edit is lost. A check that needs more (a mute,
 * say) loads it here beside isMember.
 */
export async function loadMessageChange<T extends ChangeType>(tx: Tx, command: CommandEnvelope<T>, now: string): Promise<MessageChangeState> {
  const { roomId, messageId } = command.payload as CommandEnvelope<ChangeType>['payload'];
  const message = await loadMessageRecord(tx, messageId, true);
  if (!message || message.roomId !== roomId) return { message, isMember: false, now };
  // The actor's membership and mute: one round trip.
  const [actor] = await tx.execute(
    `select exists (select 1 from room_members where room_id = ? and user_id = ?) as is_member,
       (select muted_until from users where id = ?) as muted_until`,
    [roomId, command.actorId, command.actorId],
  );
  return { message, isMember: Boolean(actor.is_member), now, mutedUntil: actor.muted_until ? iso(actor.muted_until) : null };
}

/** Writes a decided change: the message's row (with its new version), and the reaction added or removed. */
export async function applyMessageChange(tx: Tx, { message, reaction, clearReactions }: MessageChange): Promise<void> {
  await tx.execute('update messages set body = ?, attachment = ?, edited_at = ?, deleted = ?, version = ? where id = ?', [
    message.body,
    message.attachment ? JSON.stringify(message.attachment) : null,
    message.editedAt ?? null,
    message.deleted ?? false,
    message.version ?? 1,
    message.id,
  ]);
  if (clearReactions) await tx.execute('delete from message_reactions where message_id = ?', [message.id]);
  // A deleted message's file goes with it: its link answers 404 from this commit on.
  if (message.deleted) await deleteUploadsOfMessage(tx, message.id);
  if (reaction?.add) {
    await tx.execute(
      'insert into message_reactions (message_id, emoji, user_id, created_at) values (?, ?, ?, now()) on conflict do nothing',
      [message.id, reaction.emoji, reaction.userId],
    );
  } else if (reaction) {
    await tx.execute('delete from message_reactions where message_id = ? and emoji = ? and user_id = ?', [
      message.id,
      reaction.emoji,
      reaction.userId,
    ]);
  }
}
