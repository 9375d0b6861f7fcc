import type { CommandEnvelope } from '../../contracts/commands';
import type { FriendState, Friendship } from '../../worker/decisions/friends';
import type { Tx } from '../transaction';

/** For AddFriend and RemoveFriend. */
export async function loadFriend(tx: Tx, { payload }: Pick<CommandEnvelope<'AddFriend'>, 'payload'>): Promise<FriendState> {
  const [row] = await tx.execute('select 1 from users where id = ?', [payload.friendId]);
  return { friendExists: Boolean(row) };
}

/** Both directions, so friendship is mutual; befriending twice changes nothing. */
export async function insertFriendship(tx: Tx, { userId, friendId }: Friendship): Promise<void> {
  // Always in the same order, so two users befriending each other at once do not deadlock.
  const [first, second] = [userId, friendId].sort();
  await tx.execute(
    'insert into friendships (user_id, friend_id, created_at) values (?, ?, now()), (?, ?, now()) on conflict do nothing',
    [first, second, second, first],
  );
}

export async function deleteFriendship(tx: Tx, { userId, friendId }: Friendship): Promise<void> {
  await tx.execute('delete from friendships where (user_id = ? and friend_id = ?) or (user_id = ? and friend_id = ?)', [
    userId,
    friendId,
    friendId,
    userId,
  ]);
}
