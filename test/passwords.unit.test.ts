import { ServiceUnavailableError } from '../src/errors';
import { Passwords } from '../src/gateway/passwords';

test('hashes and verifies; an unknown user never matches', async () => {
  const passwords = new Passwords(1, 4);
  const stored = await passwords.hash('correct horse battery');
  expect(stored).toMatch(/^\$argon2id\$/);
  await expect(passwords.matches(stored, 'correct horse battery')).resolves.toBe(true);
  await expect(passwords.matches(stored, 'wrong horse battery')).resolves.toBe(false);
  await expect(passwords.matches(null, 'no user has this password')).resolves.toBe(false);
});

test('at most `concurrency` hashes run and `maxWaiting` wait; the rest are refused at once, retriable', async () => {
  const passwords = new Passwords(1, 2);
  const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => passwords.hash(`password number ${i}`)));
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
  expect(refused).toHaveLength(3);
  for (const { reason } of refused) {
    expect(reason).toBeInstanceOf(ServiceUnavailableError);
    expect(reason).toMatchObject({ retriable: true, details: { reason: 'BUSY' } });
  }
  // The slots were all given back: the next ones run.
  await expect(Promise.all([passwords.hash('again 1'), passwords.hash('again 2')])).resolves.toHaveLength(2);
});
