import { decideRemoveFriend } from '../../src/commands/friends';
import { ALICE, BOB, command, friendState, user } from './given';

test('given another user, when Alice removes them, then both directions are deleted (a non-friend too: nothing changes)', () => {
  expect(decideRemoveFriend(command('RemoveFriend', ALICE, { friendId: BOB }), friendState())).toEqual({
    result: { friendId: BOB },
    events: [],
    writes: { userId: ALICE, friendId: BOB },
  });
});

test('given no such user, when Alice removes them, then NOT_FOUND', () => {
  expect(decideRemoveFriend(command('RemoveFriend', ALICE, { friendId: BOB }), friendState({ friendExists: false }))).toMatchObject({ code: 'NOT_FOUND' });
});

test('when Alice removes herself, then BAD_USER_INPUT', () => {
  expect(decideRemoveFriend(command('RemoveFriend', ALICE, { friendId: ALICE }), friendState())).toMatchObject({ code: 'BAD_USER_INPUT' });
});

test('given Alice and Bob are friends, when Alice removes Bob, then each of them hears FriendChanged(false) about the other', () => {
  const [alice, bob] = [user(ALICE, 'Alice'), user(BOB, 'Bob')];
  const decision = decideRemoveFriend(command('RemoveFriend', ALICE, { friendId: BOB }), friendState({ alreadyFriends: true, actor: alice, other: bob }));
  expect(decision).toMatchObject({
    events: [
      { type: 'friend-changed', userId: ALICE, friend: bob, isFriend: false },
      { type: 'friend-changed', userId: BOB, friend: alice, isFriend: false },
    ],
  });
});
