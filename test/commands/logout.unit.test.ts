import { decideLogout } from '../../src/commands/account';
import { ALICE, command } from './given';

const TOKEN = '00000000-0000-4000-8000-00000000707e';

test('given a logged-in user, when they log out, then the token is revoked until it expires and every gateway is told', () => {
  const logout = command('Logout', ALICE, { tokenId: TOKEN, expiresAt: '2026-12-08T12:00:00.000Z' });
  expect(decideLogout(logout, null)).toEqual({
    result: { userId: ALICE },
    events: [{ v: 1, type: 'session-ended', userId: ALICE, tokenId: TOKEN }],
    writes: { userId: ALICE, tokenId: TOKEN, expiresAt: '2026-12-08T12:00:00.000Z' },
  });
});
