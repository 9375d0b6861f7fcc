import { RECORD_VERSION, type FriendChangedEvent, type PublicUser } from '../contracts/records';
import { badInput, forbidden, notFound, type UserError } from '../errors';
import { LIMITS } from '../rules';
import type { Decide } from './decision';

/**
 * Two users as the actor sees them, loaded with both users' rows locked (see
 * the store's lockUsers): AddFriend and BlockUser between the same two users
 * run one after the other, whichever partitions and workers they are on.
 */
export interface FriendState {
  friendExists: boolean;
  alreadyFriends: boolean;
  /** The actor has blocked the other user. */
  blockedByActor: boolean;
  /** The other user has blocked the actor. */
  blockedByOther: boolean;
  actorFriendCount: number;
  otherFriendCount: number;
  /** Both users (for FriendChanged); absent: not loaded, no events. */
  actor?: PublicUser | null;
  other?: PublicUser | null;
}

/** FriendChanged to both users (each one's myEvents), when both were loaded. */
function friendChanged(state: { actor?: PublicUser | null; other?: PublicUser | null }, isFriend: boolean): FriendChangedEvent[] {
  const { actor, other } = state;
  if (!actor || !other) return [];
  return [
    { v: RECORD_VERSION, type: 'friend-changed', userId: actor.id, friend: other, isFriend },
    { v: RECORD_VERSION, type: 'friend-changed', userId: other.id, friend: actor, isFriend },
  ];
}
export interface Friendship {
  userId: string;
  friendId: string;
}

function refuse(userId: string, friendId: string, state: { friendExists: boolean }): UserError | null {
  if (friendId === userId) return badInput('you cannot befriend yourself');
  if (!state.friendExists) return notFound('no such user');
  return null;
}

/**
 * Friendship is mutual: both directions are written; befriending twice changes
 * nothing. Never across a block, either way: so "only friends in a room" keeps
 * a blocked user from putting the blocker in one.
 */
export const decideAddFriend: Decide<'AddFriend', FriendState, Friendship> = ({ actorId: userId, payload: { friendId } }, state) => {
  const refused = refuse(userId, friendId, state);
  if (refused) return refused;
  // The blocked user is not told why: a block is the blocker's to know.
  if (state.blockedByOther) return forbidden('you cannot befriend this user');
  if (state.blockedByActor) return forbidden('you have blocked this user; unblock them first');
  if (state.alreadyFriends) return { result: { friendId }, events: [], writes: null };
  const max = LIMITS.friendsMax;
  if (state.actorFriendCount >= max) return badInput(`you have ${max} friends, the most allowed; remove one first`);
  if (state.otherFriendCount >= max) return badInput(`this user has ${max} friends, the most allowed`);
  return { result: { friendId }, events: friendChanged(state, true), writes: { userId, friendId } };
};

/** Both directions end; removing someone who is not a friend changes nothing. Shared rooms stay. */
export const decideRemoveFriend: Decide<'RemoveFriend', FriendState, Friendship> = ({ actorId: userId, payload: { friendId } }, state) =>
  refuse(userId, friendId, state) ?? {
    result: { friendId },
    events: state.alreadyFriends ? friendChanged(state, false) : [],
    writes: { userId, friendId },
  };

export interface BlockState {
  userExists: boolean;
  alreadyBlocked: boolean;
  /** How many users the actor has blocked. */
  blockCount: number;
  /** Whether the two were friends (the block ends it: FriendChanged to both), and both users; absent: not loaded. */
  wereFriends?: boolean;
  actor?: PublicUser | null;
  other?: PublicUser | null;
}
export interface Block {
  userId: string;
  blockedId: string;
}

function refuseBlock(actorId: string, userId: string, state: { userExists: boolean }, verb: string): UserError | null {
  if (userId === actorId) return badInput(`you cannot ${verb} yourself`);
  if (!state.userExists) return notFound('no such user');
  return null;
}

/** Blocking ends any friendship (the store deletes both directions with the block); blocking twice changes nothing. Shared rooms stay. */
export const decideBlockUser: Decide<'BlockUser', BlockState, Block> = ({ actorId, payload: { userId } }, state) => {
  const refused = refuseBlock(actorId, userId, state, 'block');
  if (refused) return refused;
  if (state.alreadyBlocked) return { result: { userId }, events: [], writes: null };
  if (state.blockCount >= LIMITS.blocksMax) return badInput(`you have blocked ${LIMITS.blocksMax} users, the most allowed; unblock one first`);
  return { result: { userId }, events: state.wereFriends ? friendChanged(state, false) : [], writes: { userId: actorId, blockedId: userId } };
};

export interface UnblockState {
  userExists: boolean;
  blocked: boolean;
}

/** Unblocking someone not blocked changes nothing; unblocking does not restore a friendship. */
export const decideUnblockUser: Decide<'UnblockUser', UnblockState, Block> = ({ actorId, payload: { userId } }, state) => {
  const refused = refuseBlock(actorId, userId, state, 'unblock');
  if (refused) return refused;
  if (!state.blocked) return { result: { userId }, events: [], writes: null };
  return { result: { userId }, events: [], writes: { userId: actorId, blockedId: userId } };
};
