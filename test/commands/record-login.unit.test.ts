import { decideRecordLogin } from '../../src/commands/account';
import { ALICE, command } from './given';

test('given a user, when they log in, then their login time is recorded', () => {
  expect(decideRecordLogin(command('RecordLogin', ALICE, { userId: ALICE }), null)).toEqual({
    result: { userId: ALICE },
    events: [],
    writes: { userId: ALICE },
  });
});
