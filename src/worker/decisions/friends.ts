import { badInput, notFound, type UserError } from '../../errors';
import type { Decide } from './decision';

export interface FriendState {
  friendExists: boolean;
}
export interface Friendship {
  userId: string;
  friendId: string;
}

function refuse(userId: string, friendId: string, state: FriendState): UserError | null {
  if (friendId === userId) return badInput('you cannot befriend yourself');
  if (!state.friendExists) return notFound('no such user');
  return null;
}

/** Friendship is mutual: both directions are written; befriending twice changes nothing. */
export const decideAddFriend: Decide<'AddFriend', FriendState, Friendship> = ({ actorId: userId, payload: { friendId } }, state) =>
  refuse(userId, friendId, state) ?? { result: { friendId }, events: [], writes: { userId, friendId } };

/** Both directions end; removing someone who is not a friend changes nothing. Shared rooms stay. */
export const decideRemoveFriend: Decide<'RemoveFriend', FriendState, Friendship> = ({ actorId: userId, payload: { friendId } }, state) =>
  refuse(userId, friendId, state) ?? { result: { friendId }, events: [], writes: { userId, friendId } };
