import { decideUnblockUser } from '../../src/commands/friends';
import { ALICE, BOB, command } from './given';

const unblock = (userId: string) => command('UnblockUser', ALICE, { userId });

test('given Alice blocked Bob, when she unblocks him, then the block is removed', () => {
  expect(decideUnblockUser(unblock(BOB), { userExists: true, blocked: true })).toEqual({
    result: { userId: BOB },
    events: [],
    writes: { userId: ALICE, blockedId: BOB },
  });
});

test('given Bob is not blocked, when Alice unblocks him, then nothing changes', () => {
  expect(decideUnblockUser(unblock(BOB), { userExists: true, blocked: false })).toEqual({ result: { userId: BOB }, events: [], writes: null });
});

test('when Alice unblocks herself, then BAD_USER_INPUT; an unknown user, NOT_FOUND', () => {
  expect(decideUnblockUser(unblock(ALICE), { userExists: true, blocked: false })).toMatchObject({ code: 'BAD_USER_INPUT' });
  expect(decideUnblockUser(unblock(BOB), { userExists: false, blocked: false })).toMatchObject({ code: 'NOT_FOUND' });
});
