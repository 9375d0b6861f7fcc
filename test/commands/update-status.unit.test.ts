import { decideUpdateStatus } from '../../src/commands/account';
import { ALICE, command } from './given';

const update = command('UpdateStatus', ALICE, { statusMessage: 'at lunch' });

test('given a user, when they set their status, then it is written', () => {
  expect(decideUpdateStatus(update, { userExists: true })).toEqual({
    result: { userId: ALICE },
    events: [],
    writes: { userId: ALICE, statusMessage: 'at lunch' },
  });
});

test('given an account that no longer exists, when its token sets a status, then NOT_FOUND', () => {
  expect(decideUpdateStatus(update, { userExists: false })).toMatchObject({ code: 'NOT_FOUND' });
});
