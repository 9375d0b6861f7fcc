import { decideBlockUser } from '../../src/commands/friends';
import { ALICE, BOB, command } from './given';

const block = (userId: string) => command('BlockUser', ALICE, { userId });
const state = { userExists: true, alreadyBlocked: false, blockCount: 2 };

test('given another user, when Alice blocks them, then the block is written (the store ends any friendship with it)', () => {
  expect(decideBlockUser(block(BOB), state)).toEqual({ result: { userId: BOB }, events: [], writes: { userId: ALICE, blockedId: BOB } });
});

test('given Alice blocked Bob, when she blocks him again, then nothing changes', () => {
  expect(decideBlockUser(block(BOB), { ...state, alreadyBlocked: true })).toEqual({ result: { userId: BOB }, events: [], writes: null });
});

test('when Alice blocks herself, then BAD_USER_INPUT', () => {
  expect(decideBlockUser(block(ALICE), state)).toMatchObject({ code: 'BAD_USER_INPUT', message: 'you cannot block yourself' });
});

test('given no such user, when Alice blocks them, then NOT_FOUND', () => {
  expect(decideBlockUser(block(BOB), { ...state, userExists: false })).toMatchObject({ code: 'NOT_FOUND' });
});

test('given Alice blocked the most users allowed, when she blocks one more, then BAD_USER_INPUT saying the limit', () => {
  expect(decideBlockUser(block(BOB), { ...state, blockCount: 1000 })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'you have blocked 1000 users, the most allowed; unblock one first',
  });
});
