import { randomUUID } from 'node:crypto';
import { gql, gqlOk, serviceForThisFile } from './support';

// Sign-up and login are the two anonymous operations that make a gateway hash a password.
const service = serviceForThisFile('auth-throttles', 1, {
  SIGN_UP_RATE_PER_ADDRESS: '3',
  LOGIN_RATE_PER_ADDRESS: '1000',
  LOGIN_FAILURES_PER_ACCOUNT: '3',
  TRUST_PROXY: 'loopback',
});
const url = () => service.urls[0];

const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }';
const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { id } } }';

/** A request as if from `address`, forwarded by a proxy on 127.0.0.1 (which TRUST_PROXY trusts). */
async function from(address: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions: Record<string, unknown> }[] };
}
const newUser = () => ({ username: `t_${randomUUID().slice(0, 8)}`, password: 'correct horse battery' });
let addresses = 0;
/** Signed up from an address of its own, so the sign-up limit of one address does not hold the login tests back. */
async function signedUp(): Promise<{ username: string; password: string }> {
  const user = newUser();
  const res = await from(`198.51.100.${++addresses}`, SIGN_UP, { input: user });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return user;
}

test('an address gets SIGN_UP_RATE_PER_ADDRESS sign-ups an hour, then RATE_LIMITED with retryAfter, and nothing is created', async () => {
  const address = '203.0.113.7';
  for (let i = 0; i < 3; i++) expect((await from(address, SIGN_UP, { input: newUser() })).data?.signUp.user.id).toBeDefined();
  const refused = newUser();
  const res = await from(address, SIGN_UP, { input: refused });
  expect(res.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
  expect(res.errors?.[0].extensions.retryAfter as number).toBeGreaterThan(3000);
  // Another address is not held back, and the refused name was never taken.
  expect((await from('203.0.113.8', SIGN_UP, { input: refused })).data?.signUp.user.id).toBeDefined();
});

test('after LOGIN_FAILURES_PER_ACCOUNT wrong passwords the account refuses logins, even the right one, without hashing; other accounts log in', async () => {
  const victim = await signedUp();
  const other = await signedUp();
  for (let i = 0; i < 3; i++) {
    const wrong = await gql(url(), LOGIN, { u: victim.username, p: `wrong password ${i}` });
    expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  }
  const locked = await gql(url(), LOGIN, { u: victim.username, p: victim.password });
  expect(locked.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
  expect((await gqlOk(url(), LOGIN, { u: other.username, p: other.password })).login.user.id).toBeDefined();
});

test('a right password clears the count of wrong ones', async () => {
  const user = await signedUp();
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 2; i++) expect((await gql(url(), LOGIN, { u: user.username, p: 'nope nope nope' })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await gqlOk(url(), LOGIN, { u: user.username, p: user.password });
  }
});
