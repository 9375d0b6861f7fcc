import { UserError } from '../../src/errors';
import { decideSignUp } from '../../src/commands/account';
import { ALICE, command } from './given';

const signUp = command('SignUp', null, { userId: ALICE, username: 'alice', passwordHash: 'hash', displayName: 'Alice', email: null });

test('given a free username, when someone signs up, then the user is written and their id returned', () => {
  expect(decideSignUp(signUp, { usernameTaken: false })).toEqual({
    result: { userId: ALICE },
    events: [],
    writes: { id: ALICE, username: 'alice', passwordHash: 'hash', displayName: 'Alice', email: null },
  });
});

test('given a taken username, when someone signs up with it, then CONFLICT and nothing is written', () => {
  const decision = decideSignUp(signUp, { usernameTaken: true });
  expect(decision).toBeInstanceOf(UserError);
  expect(decision).toMatchObject({ code: 'CONFLICT', message: 'username "alice" is taken' });
});
