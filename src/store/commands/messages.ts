import type { CommandEnvelope } from '../../contracts/commands';
import type { BookmarkChange, BookmarkState, SendChatState } from '../../commands/messages';
import { MESSAGE_WITH_SENDER, messageRecord, messageWithSender } from '../rows';
import type { Tx } from '../transaction';
import { memberCount, publicUsers, roomView } from './common';

export async function loadSendChat(tx: Tx, { actorId, payload }: CommandEnvelope<'SendChat'>, now: string): Promise<SendChatState> {
  const { roomId, clientMessageId } = payload;
  const room = await roomView(tx, roomId, actorId, true);
  if (!room?.isMember) return { room, sender: null, earlier: null, now };
  const [sender] = await publicUsers(tx, [actorId]);
  let earlier: SendChatState['earlier'] = null;
  if (clientMessageId !== null) {
    const [first] = await tx.execute(
      `select m.*, exists (select 1 from bookmarks b where b.message_id = m.id and b.user_id = ?) as bookmarked
       from messages m where m.room_id = ? and m.client_message_id = ?`,
      [actorId, roomId, clientMessageId],
    );
    if (first) earlier = { message: messageRecord(first, sender ?? null), bookmarked: Boolean(first.bookmarked) };
  }
  return { room, sender: sender ?? null, earlier, now, memberCount: earlier ? undefined : await memberCount(tx, roomId) };
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
