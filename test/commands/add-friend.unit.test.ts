import { decideAddFriend } from '../../src/commands/friends';
import { ALICE, BOB, command, friendState, user } from './given';

const befriend = (friendId: string) => command('AddFriend', ALICE, { friendId });

test('given another user, when Alice befriends them, then the friendship is written', () => {
  expect(decideAddFriend(befriend(BOB), friendState())).toEqual({
    result: { friendId: BOB },
    events: [],
    writes: { userId: ALICE, friendId: BOB },
  });
});

test('given Alice and Bob are friends, when she befriends him again, then nothing changes', () => {
  expect(decideAddFriend(befriend(BOB), friendState({ alreadyFriends: true }))).toEqual({ result: { friendId: BOB }, events: [], writes: null });
});

test('given no such user, when Alice befriends them, then NOT_FOUND', () => {
  expect(decideAddFriend(befriend(BOB), friendState({ friendExists: false }))).toMatchObject({ code: 'NOT_FOUND' });
});

test('when Alice befriends herself, then BAD_USER_INPUT', () => {
  expect(decideAddFriend(befriend(ALICE), friendState())).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'you cannot befriend yourself',
  });
});

test('given Bob blocked Alice, when she befriends him, then FORBIDDEN, without naming the block', () => {
  const refusal = decideAddFriend(befriend(BOB), friendState({ blockedByOther: true }));
  expect(refusal).toMatchObject({ code: 'FORBIDDEN', message: 'you cannot befriend this user' });
  expect(JSON.stringify(refusal)).not.toMatch(/block/i);
});

test('given Alice blocked Bob, when she befriends him, then FORBIDDEN: she must unblock him first', () => {
  expect(decideAddFriend(befriend(BOB), friendState({ blockedByActor: true }))).toMatchObject({
    code: 'FORBIDDEN',
    message: 'you have blocked this user; unblock them first',
  });
});

test('given Alice or Bob has the most friends allowed, when she befriends him, then BAD_USER_INPUT saying the limit', () => {
  expect(decideAddFriend(befriend(BOB), friendState({ actorFriendCount: 1000 }))).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'you have 1000 friends, the most allowed; remove one first',
  });
  expect(decideAddFriend(befriend(BOB), friendState({ otherFriendCount: 1000 }))).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'this user has 1000 friends, the most allowed',
  });
  expect(decideAddFriend(befriend(BOB), friendState({ actorFriendCount: 999, otherFriendCount: 999 }))).toMatchObject({ writes: { friendId: BOB } });
});

test('when Alice befriends Bob, then each of them hears FriendChanged(true) about the other', () => {
  const [alice, bob] = [user(ALICE, 'Alice'), user(BOB, 'Bob')];
  expect(decideAddFriend(command('AddFriend', ALICE, { friendId: BOB }), friendState({ actor: alice, other: bob }))).toMatchObject({
    events: [
      { type: 'friend-changed', userId: ALICE, friend: bob, isFriend: true },
      { type: 'friend-changed', userId: BOB, friend: alice, isFriend: true },
    ],
  });
});
