import type { CommandEnvelope } from '../../contracts/commands';
import type { Block, BlockState, FriendState, Friendship, UnblockState } from '../../commands/friends';
import type { Tx } from '../transaction';
import { publicUsers } from './common';

/**
 * Locks the rows of two users until the transaction ends, in id order, and
 * says which of them exist. AddFriend (keyed by its actor) and BlockUser
 * (keyed by the blocker) between the same two users may run on different
 * partitions and workers at once: both take this lock before reading, so one
 * waits for the other's commit and then reads what it wrote (each statement
 * of a READ COMMITTED transaction sees what committed before it). So a
 * friendship written just before a block is deleted by it, and one asked for
 * just after sees the block: none survives a block. The fixed order keeps the
 * two from deadlocking (commands applied together in one transaction may still
 * deadlock with another worker's: PostgreSQL detects it and the worker retries
 * the chunk as a conflict); FOR NO KEY UPDATE does not hold up the foreign-key
 * checks (KEY SHARE) of rows that reference the users, such as messages.
 * It also serializes friend counts, so `friendsMax` holds exactly.
 */
async function lockUsers(tx: Tx, a: string, b: string): Promise<Set<string>> {
  const rows = await tx.execute('select id from users where id in (?, ?) order by id for no key update', [a, b]);
  return new Set(rows.map((row) => String(row.id)));
}

/** For AddFriend and RemoveFriend. */
export async function loadFriend(tx: Tx, { actorId, payload }: Pick<CommandEnvelope<'AddFriend'>, 'actorId' | 'payload'>): Promise<FriendState> {
  const { friendId } = payload;
  const existing = await lockUsers(tx, actorId, friendId);
  const [row] = await tx.execute(
    `select exists (select 1 from friendships where user_id = ? and friend_id = ?) as friends,
       exists (select 1 from blocks where user_id = ? and blocked_id = ?) as blocked_by_actor,
       exists (select 1 from blocks where user_id = ? and blocked_id = ?) as blocked_by_other,
       (select count(*) from friendships where user_id = ?)::int as actor_friends,
       (select count(*) from friendships where user_id = ?)::int as other_friends`,
    [actorId, friendId, actorId, friendId, friendId, actorId, actorId, friendId],
  );
  const users = await publicUsers(tx, [actorId, friendId]);
  return {
    actor: users.find((u) => u.id === actorId) ?? null,
    other: users.find((u) => u.id === friendId) ?? null,
    friendExists: existing.has(friendId),
    alreadyFriends: Boolean(row.friends),
    blockedByActor: Boolean(row.blocked_by_actor),
    blockedByOther: Boolean(row.blocked_by_other),
    actorFriendCount: Number(row.actor_friends),
    otherFriendCount: Number(row.other_friends),
  };
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

/** Under the same lock as loadFriend (see lockUsers). */
export async function loadBlock(tx: Tx, { actorId, payload }: CommandEnvelope<'BlockUser'>): Promise<BlockState> {
  const existing = await lockUsers(tx, actorId, payload.userId);
  const [row] = await tx.execute(
    `select exists (select 1 from blocks where user_id = ? and blocked_id = ?) as blocked,
       (select count(*) from blocks where user_id = ?)::int as blocks,
       exists (select 1 from friendships where user_id = ? and friend_id = ?) as friends`,
    [actorId, payload.userId, actorId, actorId, payload.userId],
  );
  const users = row.friends ? await publicUsers(tx, [actorId, payload.userId]) : [];
  return {
    userExists: existing.has(payload.userId),
    alreadyBlocked: Boolean(row.blocked),
    blockCount: Number(row.blocks),
    wereFriends: Boolean(row.friends),
    actor: users.find((u) => u.id === actorId) ?? null,
    other: users.find((u) => u.id === payload.userId) ?? null,
  };
}

/** The block, and the end of any friendship between the two, in one transaction. */
export async function insertBlock(tx: Tx, { userId, blockedId }: Block): Promise<void> {
  await tx.execute('insert into blocks (user_id, blocked_id, created_at) values (?, ?, now()) on conflict do nothing', [userId, blockedId]);
  await deleteFriendship(tx, { userId, friendId: blockedId });
}

export async function loadUnblock(tx: Tx, { actorId, payload }: CommandEnvelope<'UnblockUser'>): Promise<UnblockState> {
  const [row] = await tx.execute(
    `select exists (select 1 from users where id = ?) as user_exists,
       exists (select 1 from blocks where user_id = ? and blocked_id = ?) as blocked`,
    [payload.userId, actorId, payload.userId],
  );
  return { userExists: Boolean(row.user_exists), blocked: Boolean(row.blocked) };
}

export async function deleteBlock(tx: Tx, { userId, blockedId }: Block): Promise<void> {
  await tx.execute('delete from blocks where user_id = ? and blocked_id = ?', [userId, blockedId]);
}
