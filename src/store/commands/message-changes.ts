import type { CommandEnvelope } from '../../contracts/commands';
import type { MessageRecord } from '../../contracts/records';
import type { MessageChange, MessageChangeState } from '../../commands/message-changes';
import { MESSAGE_WITH_SENDER, iso, messageWithSender } from '../rows';
import { executePrepared, type Tx } from '../transaction';
import { deleteUploadsOfMessage } from '../uploads';

/** A message as it is now (replyTo, reactions, sender), or null. */
export async function loadMessageRecord(tx: Tx, messageId: string): Promise<MessageRecord | null> {
  const [row] = await tx.execute(`select ${MESSAGE_WITH_SENDER} where m.id = ?`, [messageId]);
  return row ? messageWithSender(row) : null;
}

type ChangeType = 'EditMessage' | 'DeleteMessage' | 'AddReaction' | 'RemoveReaction';

const LOAD_MESSAGE_CHANGE = `select exists (select 1 from room_members where room_id = m.room_id and user_id = ?) as actor_is_member,
    (select muted_until from users where id = ?) as actor_muted_until,
    ${MESSAGE_WITH_SENDER} where m.id = ? for update of m`;

/**
 * The state of every change of a message, in one round trip: the message
 * with its row locked, and the actor's membership of its room and mute. The
 * commands are keyed by the room, so one worker applies a room's changes in
 * order; the row lock keeps them one at a time even while two workers
 * overlap (a rebalance), so no concurrent reaction or edit is lost.
 */
export async function loadMessageChange<T extends ChangeType>(tx: Tx, command: CommandEnvelope<T>, now: string): Promise<MessageChangeState> {
  const { roomId, messageId } = command.payload as CommandEnvelope<ChangeType>['payload'];
  const [row] = await executePrepared(tx, 'load-message-change', LOAD_MESSAGE_CHANGE, [command.actorId, command.actorId, messageId]);
  if (!row) return { message: null, isMember: false, now };
  const message = messageWithSender(row);
  if (message.roomId !== roomId) return { message, isMember: false, now };
  return { message, isMember: Boolean(row.actor_is_member), now, mutedUntil: row.actor_muted_until ? iso(row.actor_muted_until) : null };
}

/**
 * Writes a decided change. A reaction added or removed raises the message's
 * version and changes its reaction in one statement, leaving the body alone
 * (setting it, even unchanged, would recompute search_vector and touch its
 * index). An edit or a deletion writes the message's row.
 */
export async function applyMessageChange(tx: Tx, { message, reaction, clearReactions }: MessageChange): Promise<void> {
  if (reaction) {
    const change = reaction.add
      ? 'insert into message_reactions (message_id, emoji, user_id, created_at) values (?, ?, ?, now()) on conflict do nothing'
      : 'delete from message_reactions where message_id = ? and emoji = ? and user_id = ?';
    await tx.execute(`with bumped as (update messages set version = ? where id = ?) ${change}`, [
      message.version ?? 1,
      message.id,
      message.id,
      reaction.emoji,
      reaction.userId,
    ]);
    return;
  }
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
}
