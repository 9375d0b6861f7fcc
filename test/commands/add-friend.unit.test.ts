import { decideAddFriend } from '../../src/worker/decisions/friends';
import { ALICE, BOB, command } from './given';

test('given another user, when Alice befriends them, then the friendship is written', () => {
  expect(decideAddFriend(command('AddFriend', ALICE, { friendId: BOB }), { friendExists: true })).toEqual({
    result: { friendId: BOB },
    events: [],
    writes: { userId: ALICE, friendId: BOB },
  });
});

test('given no such user, when Alice befriends them, then NOT_FOUND', () => {
  expect(decideAddFriend(command('AddFriend', ALICE, { friendId: BOB }), { friendExists: false })).toMatchObject({ code: 'NOT_FOUND' });
});

test('when Alice befriends herself, then BAD_USER_INPUT', () => {
  expect(decideAddFriend(command('AddFriend', ALICE, { friendId: ALICE }), { friendExists: true })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'you cannot befriend yourself',
  });
});
