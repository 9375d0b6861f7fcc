import { RECORD_VERSION, type PublicUser } from '../../src/contracts/records';
import type { FriendState } from '../../src/commands/friends';
import type { ActorOf, CommandEnvelope, CommandPayloads, CommandType } from '../../src/contracts/commands';

// What the decisions' unit tests are given: commands and the state a store would load. No service is touched.

export const NOW = '2026-12-01T12:00:00.000Z';

export const ALICE = '00000000-0000-4000-8000-00000000a11c';
export const BOB = '00000000-0000-4000-8000-000000000b0b';
export const CAROL = '00000000-0000-4000-8000-0000000ca201';
export const ROOM = '00000000-0000-4000-8000-0000000000e1';

export function command<T extends CommandType>(type: T, actorId: ActorOf<T>, payload: CommandPayloads[T]): CommandEnvelope<T> {
  return { v: RECORD_VERSION, id: `cmd-${type}`, type, actorId, deadline: Date.parse(NOW) + 5000, payload };
}

export function user(id: string, displayName: string): PublicUser {
  return {
    id,
    username: displayName.toLowerCase(),
    displayName,
    statusMessage: '',
    createdAt: '2026-11-01T00:00:00.000Z',
    lastLoginAt: null,
    lastLogoutAt: null,
  };
}

/** Two users who exist, are not friends, have blocked neither and have few friends. */
export function friendState(overrides: Partial<FriendState> = {}): FriendState {
  return { friendExists: true, alreadyFriends: false, blockedByActor: false, blockedByOther: false, actorFriendCount: 3, otherFriendCount: 5, ...overrides };
}
