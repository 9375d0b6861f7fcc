import type { CommandEnvelope } from '../../contracts/commands';
import type { BookmarkChange, BookmarkState, SendChatState, SendChatWrites } from '../../commands/messages';
import { uploadIdOf } from '../../contracts/uploads';
import { MESSAGE_WITH_SENDER, USER_COLUMNS, iso, messageWithSender, publicUser } from '../rows';
import { loadMessageRecord } from './message-changes';
import type { Tx } from '../transaction';
import { bindUpload, loadUploadForSend } from '../uploads';
import { appendMessages, roomView } from './common';

export async function loadSendChat(tx: Tx, { actorId, payload }: CommandEnvelope<'SendChat'>, now: string): Promise<SendChatState> {
  const { roomId, clientMessageId } = payload;
  // The room locked (one room's messages are numbered one at a time), the membership, the member count
  // (Message.unreadBy of a new message) and the sender: one round trip.
  const [row] = await tx.execute(
    `select r.last_seq, m.user_id as member_id, u.muted_until as u_muted_until,
       (select count(*)::int from room_members c where c.room_id = r.id) as member_count,
       ${USER_COLUMNS.split(', ').map((c) => `u.${c} as u_${c}`).join(', ')}
     from rooms r left join room_members m on m.room_id = r.id and m.user_id = ? left join users u on u.id = ?
     where r.id = ? for update of r`,
    [actorId, actorId, roomId],
  );
  const room = row ? { lastSeq: Number(row.last_seq), isMember: Boolean(row.member_id) } : null;
  if (!room?.isMember) return { room, sender: null, earlier: null, now };
  const sender = row.u_id ? publicUser(row, 'u_') : undefined;
  const mutedUntil = row.u_muted_until ? iso(row.u_muted_until) : null;
  let earlier: SendChatState['earlier'] = null;
  if (clientMessageId !== null) {
    const [first] = await tx.execute(
      `select exists (select 1 from bookmarks b where b.message_id = m.id and b.user_id = ?) as bookmarked,
       ${MESSAGE_WITH_SENDER} where m.room_id = ? and m.client_message_id = ?`,
      [actorId, roomId, clientMessageId],
    );
    if (first) earlier = { message: messageWithSender(first), bookmarked: Boolean(first.bookmarked) };
  }
  const replyToId = payload.replyToId ?? null;
  const replyTo = replyToId === null || earlier ? null : await loadMessageRecord(tx, replyToId);
  const uploadId = payload.attachment && !earlier ? uploadIdOf(payload.attachment.url) : null;
  const state = { room, sender: sender ?? null, earlier, now, mutedUntil, replyTo, memberCount: Number(row.member_count) };
  return uploadId === null ? state : { ...state, upload: await loadUploadForSend(tx, uploadId) };
}

/** The message, and the upload it sends bound to its room (readable by the room's members from now on). */
export async function sendChat(tx: Tx, writes: SendChatWrites): Promise<void> {
  await appendMessages(tx, writes);
  if (writes.uploadId !== undefined) await bindUpload(tx, writes.uploadId, writes.roomId, writes.messages[0].id);
}

export async function loadBookmark(tx: Tx, { actorId, payload }: CommandEnvelope<'Bookmark'>): Promise<BookmarkState> {
  const [row] = await tx.execute(`select ${MESSAGE_WITH_SENDER} where m.id = ?`, [payload.messageId]);
  if (!row) return { message: null, isMember: false, alreadyBookmarked: false, bookmarkCount: 0 };
  const room = await roomView(tx, String(row.room_id), actorId, false);
  // Bookmark is keyed by the user, so one user's bookmarks change one at a time: the count holds.
  const [bookmarks] = await tx.execute(
    `select (select count(*) from bookmarks where user_id = ?)::int as count,
       exists (select 1 from bookmarks where user_id = ? and message_id = ?) as already`,
    [actorId, actorId, payload.messageId],
  );
  return {
    message: messageWithSender(row),
    isMember: room?.isMember ?? false,
    alreadyBookmarked: Boolean(bookmarks.already),
    bookmarkCount: Number(bookmarks.count),
  };
}

export async function setBookmark(tx: Tx, { userId, messageId, bookmarked }: BookmarkChange): Promise<void> {
  if (bookmarked) {
    await tx.execute('insert into bookmarks (user_id, message_id, created_at) values (?, ?, now()) on conflict do nothing', [
      userId,
      messageId,
    ]);
  } else {
    await tx.execute('delete from bookmarks where user_id = ? and message_id = ?', [userId, messageId]);
  }
}
