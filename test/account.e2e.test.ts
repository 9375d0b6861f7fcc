import { randomBytes, randomUUID } from 'node:crypto';
import {
  SEND_CHAT,
  befriend,
  createRoom,
  gql,
  gqlError,
  gqlOk,
  serviceForThisFile,
  signUp,
  waitFor,
  wsRequest,
  type TestUser,
} from './support';

// One worker and two gateway instances over the same topics, as when several gateways run.
const service = serviceForThisFile('account', 2);
let urlA: string;
let urlB: string;
beforeAll(() => void ([urlA, urlB] = service.urls));
const watcher = (url: string, token: string | null) => service.watcher(url, token);

const PASSWORD = 'correct horse battery';
const hex = (n: number) => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);

const SIGN_UP = `mutation($input: SignUpInput!) {
  signUp(input: $input) { token expiresAt user { id username displayName email statusMessage createdAt lastLoginAt lastLogoutAt } }
}`;
const LOGIN = `mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { token user { id username lastLoginAt } }
}`;
const ME = '{ me { id username displayName email statusMessage createdAt lastLoginAt lastLogoutAt } }';
const USER = 'query($id: ID!) { user(id: $id) { id username displayName email statusMessage } }';
const UPDATE_STATUS = 'mutation($s: String!) { updateStatus(statusMessage: $s) { id statusMessage } }';
const SEARCH = 'query($q: String!, $first: Int) { searchUsers(query: $q, first: $first) { id username displayName email } }';

interface SignUpInput {
  username: string;
  password?: string;
  displayName?: string;
  email?: string;
}

const signUpRaw = (url: string, input: SignUpInput) => gql(url, SIGN_UP, { input: { password: PASSWORD, ...input } });

/** A signUp that must succeed; returns the user as a TestUser plus what signUp answered. */
async function signUpWith(url: string, input: SignUpInput): Promise<TestUser & { payload: any }> {
  const data = await gqlOk(url, SIGN_UP, { input: { password: PASSWORD, ...input } });
  return { id: data.signUp.user.id, username: data.signUp.user.username, token: data.signUp.token, payload: data.signUp };
}

async function login(url: string, username: string, password = PASSWORD): Promise<{ token: string; user: any }> {
  const data = await gqlOk(url, LOGIN, { u: username, p: password });
  return data.login;
}

const ids = (users: { id: string }[]) => users.map((u) => u.id).sort();

describe('signUp', () => {
  test('returns a token and the user; the token works on both gateways', async () => {
    const username = `newbie_${hex(8)}`;
    const { id, token, payload } = await signUpWith(urlA, { username, displayName: '  New Bie  ' });
    expect(typeof token).toBe('string');
    expect(token.length).toBeGreaterThan(0);
    expect(new Date(payload.expiresAt).getTime()).toBeGreaterThan(new Date(payload.user.createdAt).getTime());
    expect(payload.user).toEqual({
      id,
      username,
      displayName: 'New Bie',
      email: null,
      statusMessage: '',
      createdAt: expect.any(String),
      lastLoginAt: null,
      lastLogoutAt: null,
    });
    for (const url of [urlA, urlB]) {
      const me = await gqlOk(url, ME, {}, token);
      expect(me.me).toEqual(payload.user);
    }
  });

  test('without a displayName, the display name is the username', async () => {
    const username = `nodisplay_${hex(8)}`;
    const { payload } = await signUpWith(urlB, { username });
    expect(payload.user.displayName).toBe(username);
  });

  test('usernames are case-insensitive: stored in lower case, and the other case is a CONFLICT', async () => {
    const rand = hex(8);
    const first = await signUpWith(urlA, { username: `Foo_${rand}` });
    expect(first.payload.user.username).toBe(`foo_${rand}`);
    const me = await gqlOk(urlB, ME, {}, first.token);
    expect(me.me.username).toBe(`foo_${rand}`);

    const lower = await signUpRaw(urlB, { username: `foo_${rand}` });
    expect(lower.data ?? null).toBeNull();
    expect(lower.errors?.[0].extensions?.code).toBe('CONFLICT');
    const same = await signUpRaw(urlA, { username: `FOO_${rand}` });
    expect(same.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  test('username length: 2 and 33 characters are BAD_USER_INPUT, 3 and 32 are accepted', async () => {
    for (const username of [hex(2), `u${hex(32)}`]) {
      const result = await signUpRaw(urlA, { username });
      expect({ username, code: result.errors?.[0].extensions?.code }).toEqual({ username, code: 'BAD_USER_INPUT' });
    }

    const long = `u${hex(31)}`;
    expect(long).toHaveLength(32);
    const longUser = await signUpWith(urlA, { username: long });
    expect(longUser.payload.user.username).toBe(long);

    // Three characters leave little room: another test file's user may hold a random name already.
    const short = await waitFor('a free three-character username', async () => {
      const username = `${hex(2)}_`;
      const result = await signUpRaw(urlB, { username });
      if (result.errors?.[0].extensions?.code === 'CONFLICT') return false;
      if (result.errors?.length) throw new Error(`signUp of "${username}" failed: ${JSON.stringify(result.errors)}`);
      return { username, user: result.data.signUp.user };
    });
    expect(short.user.username).toBe(short.username);
  });

  test('a username with a character outside [a-z0-9_.] is BAD_USER_INPUT', async () => {
    for (const username of [`bad-name${hex(4)}`, `bad name${hex(4)}`, `bad@name${hex(4)}`, `bäd${hex(4)}`]) {
      const result = await signUpRaw(urlA, { username });
      expect({ username, code: result.errors?.[0].extensions?.code }).toEqual({ username, code: 'BAD_USER_INPUT' });
    }
    // '.' and '_' and digits are allowed.
    const ok = await signUpWith(urlB, { username: `ok.name_${hex(6)}` });
    expect(ok.payload.user.username).toMatch(/^ok\.name_[0-9a-f]{6}$/);
  });

  test('password length: 7 and 129 characters are BAD_USER_INPUT, 8 and 128 are accepted', async () => {
    for (const password of ['p'.repeat(7), 'p'.repeat(129)]) {
      const result = await signUpRaw(urlA, { username: `pw_${hex(8)}`, password });
      expect({ length: password.length, code: result.errors?.[0].extensions?.code }).toEqual({
        length: password.length,
        code: 'BAD_USER_INPUT',
      });
    }
    const eight = await signUpWith(urlA, { username: `pw8_${hex(8)}`, password: 'p'.repeat(8) });
    const long = 'q'.repeat(128);
    const max = await signUpWith(urlB, { username: `pw128_${hex(8)}`, password: long });
    // The whole 128-character password is what counts: it logs in, a prefix of it does not.
    expect((await login(urlA, max.username, long)).user.id).toBe(max.id);
    const prefixOnly = await gql(urlA, LOGIN, { u: max.username, p: long.slice(0, 127) });
    expect(prefixOnly.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(eight.payload.user.username).toBe(eight.username);
  });

  test('displayName of 65 characters is BAD_USER_INPUT, 64 is accepted', async () => {
    const tooLong = await signUpRaw(urlA, { username: `dn_${hex(8)}`, displayName: 'd'.repeat(65) });
    expect(tooLong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const ok = await signUpWith(urlA, { username: `dn_${hex(8)}`, displayName: 'd'.repeat(64) });
    expect(ok.payload.user.displayName).toBe('d'.repeat(64));
  });

  test('an invalid email is BAD_USER_INPUT', async () => {
    for (const email of ['not-an-email', 'two@@signs', 'no spaces@example.com', '@example.com']) {
      const result = await signUpRaw(urlA, { username: `em_${hex(8)}`, email });
      expect({ email, code: result.errors?.[0].extensions?.code }).toEqual({ email, code: 'BAD_USER_INPUT' });
    }
  });

  test('a rejected signUp creates no user: the name stays free', async () => {
    const username = `rejected_${hex(8)}`;
    const bad = await signUpRaw(urlA, { username, password: 'short' });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const good = await signUpWith(urlB, { username });
    expect(good.payload.user.username).toBe(username);
  });
});

describe('login', () => {
  test('works with the right password, also with the username in upper case, on either gateway', async () => {
    const user = await signUp(urlA, 'lina');
    const plain = await login(urlB, user.username);
    expect(plain.user).toEqual({ id: user.id, username: user.username, lastLoginAt: expect.any(String) });
    const upper = await login(urlA, user.username.toUpperCase());
    expect(upper.user.id).toBe(user.id);
    expect(upper.token).not.toBe(plain.token);
    for (const [url, token] of [
      [urlA, plain.token],
      [urlB, upper.token],
    ]) {
      const me = await gqlOk(url, '{ me { id } }', {}, token);
      expect(me.me.id).toBe(user.id);
    }
  });

  test('wrong password and unknown username are both UNAUTHENTICATED with the same message', async () => {
    const user = await signUp(urlA, 'lena');
    const wrongPassword = await gql(urlB, LOGIN, { u: user.username, p: 'not the password' });
    const unknownName = await gql(urlB, LOGIN, { u: `nobody_${hex(12)}`, p: PASSWORD });
    expect(wrongPassword.data ?? null).toBeNull();
    expect(unknownName.data ?? null).toBeNull();
    expect(wrongPassword.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknownName.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknownName.errors?.[0].message).toBe(wrongPassword.errors?.[0].message);
    expect(wrongPassword.errors?.[0].message).not.toMatch(/password is wrong|no such user|unknown user/i);
  });

  test('login sets me.lastLoginAt', async () => {
    const user = await signUp(urlA, 'lars');
    const before = await gqlOk(urlA, ME, {}, user.token);
    expect(before.me.lastLoginAt).toBeNull();

    const { token, user: loggedIn } = await login(urlB, user.username);
    expect(loggedIn.lastLoginAt).not.toBeNull();
    // Seen by the old token as well as the new one, on the other gateway.
    for (const t of [user.token, token]) {
      const after = await gqlOk(urlA, ME, {}, t);
      expect(after.me.lastLoginAt).toBe(loggedIn.lastLoginAt);
      expect(new Date(after.me.lastLoginAt).getTime()).toBeGreaterThanOrEqual(new Date(after.me.createdAt).getTime());
    }
  });
});

test('without a valid token, me is UNAUTHENTICATED', async () => {
  const missing = await gql(urlA, '{ me { id } }');
  expect(missing.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(missing.data ?? null).toBeNull();

  // gql sends `Authorization: Bearer <token>`.
  const garbage = await gql(urlB, '{ me { id } }', {}, 'abc');
  expect(garbage.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(garbage.data ?? null).toBeNull();

  const notBearer = await fetch(urlA, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwYXNz' },
    body: JSON.stringify({ query: '{ me { id } }' }),
  });
  const notBearerBody = (await notBearer.json()) as { errors?: { extensions?: { code?: string } }[] };
  expect(notBearerBody.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

  // Mutations that need a viewer say the same.
  const status = await gql(urlA, UPDATE_STATUS, { s: 'hi' });
  expect(status.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  const logout = await gql(urlA, 'mutation { logout }', {}, 'abc');
  expect(logout.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
});

describe('logout', () => {
  test('revokes that token on both gateways, keeps the other token, sets lastLogoutAt', async () => {
    const user = await signUp(urlA, 'otto');
    const second = await login(urlB, user.username);
    const before = await gqlOk(urlB, ME, {}, second.token);
    expect(before.me.lastLogoutAt).toBeNull();

    const out = await gqlOk(urlA, 'mutation { logout }', {}, user.token);
    expect(out).toEqual({ logout: true });

    for (const url of [urlA, urlB]) {
      const revoked = await gql(url, '{ me { id } }', {}, user.token);
      expect(revoked.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(revoked.data ?? null).toBeNull();
    }
    const again = await gql(urlB, 'mutation { logout }', {}, user.token);
    expect(again.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    for (const url of [urlA, urlB]) {
      const me = await gqlOk(url, ME, {}, second.token);
      expect(me.me.id).toBe(user.id);
      expect(me.me.lastLogoutAt).not.toBeNull();
      expect(new Date(me.me.lastLogoutAt).getTime()).toBeGreaterThanOrEqual(new Date(me.me.lastLoginAt).getTime());
    }
  });

  test("closes the token's sockets on the other gateway with 4403 and refuses new ones; other tokens' sockets stay", async () => {
    const alice = await signUp(urlA, 'alice');
    const bob = await signUp(urlB, 'bob');
    await befriend(urlA, alice, bob);
    const roomId = await createRoom(urlA, alice, [bob]);
    const second = await login(urlA, alice.username);

    const open = service.gateways[1].gateway!.openSubscriptions;
    const doomed = watcher(urlB, alice.token).watch(roomId, 0);
    const survivor = watcher(urlB, second.token).watch(roomId, 0);
    await waitFor('both subscriptions to be open on gateway B', () => service.gateways[1].gateway!.openSubscriptions >= open + 2);
    expect(doomed.closeCode).toBeNull();

    expect(await gqlOk(urlA, 'mutation { logout }', {}, alice.token)).toEqual({ logout: true });
    await waitFor('the logged-out socket to close', () => doomed.closeCode !== null);
    expect(doomed.closeCode).toBe(4403);

    const late = watcher(urlA, alice.token).watch(roomId, 0);
    await waitFor('the new socket to be refused', () => late.closeCode !== null);
    expect(late.closeCode).toBe(4403);
    expect(late.messages).toEqual([]);

    // The socket of the other token still delivers.
    await gqlOk(urlA, SEND_CHAT, { input: { roomId, body: 'still here' } }, second.token);
    await waitFor('the message on the surviving socket', () => survivor.messages.some((m) => m.body === 'still here'));
    expect(survivor.closeCode).toBeNull();
    expect(survivor.errors).toBeNull();
    expect(doomed.messages).toEqual([]);
  });
});

describe('updateStatus', () => {
  test('returns the user with the new, trimmed status; others see it via user(id)', async () => {
    const user = await signUp(urlA, 'sam');
    const other = await signUp(urlB, 'sue');
    const updated = await gqlOk(urlA, UPDATE_STATUS, { s: '  out for lunch  ' }, user.token);
    expect(updated.updateStatus).toEqual({ id: user.id, statusMessage: 'out for lunch' });

    const seen = await gqlOk(urlB, USER, { id: user.id }, other.token);
    expect(seen.user.statusMessage).toBe('out for lunch');
    const me = await gqlOk(urlB, ME, {}, user.token);
    expect(me.me.statusMessage).toBe('out for lunch');
  });

  test('140 characters are accepted, 141 are BAD_USER_INPUT and change nothing', async () => {
    const user = await signUp(urlA, 'max');
    const max = 's'.repeat(140);
    const ok = await gqlOk(urlB, UPDATE_STATUS, { s: max }, user.token);
    expect(ok.updateStatus.statusMessage).toBe(max);

    const tooLong = await gql(urlA, UPDATE_STATUS, { s: 't'.repeat(141) }, user.token);
    expect(tooLong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooLong.data ?? null).toBeNull();
    const me = await gqlOk(urlA, ME, {}, user.token);
    expect(me.me.statusMessage).toBe(max);
  });
});

describe('user(id)', () => {
  test("shows one's own email (also via me) but never another user's", async () => {
    const ownEmail = `own_${hex(6)}@example.com`;
    const otherEmail = `other_${hex(6)}@example.com`;
    const own = await signUpWith(urlA, { username: `em_${hex(8)}`, email: ownEmail });
    const other = await signUpWith(urlB, { username: `em_${hex(8)}`, email: otherEmail });
    expect(own.payload.user.email).toBe(ownEmail);

    const self = await gqlOk(urlB, USER, { id: own.id }, own.token);
    expect(self.user).toMatchObject({ id: own.id, username: own.username, email: ownEmail });
    const me = await gqlOk(urlA, ME, {}, own.token);
    expect(me.me.email).toBe(ownEmail);

    const seen = await gqlOk(urlA, USER, { id: other.id }, own.token);
    expect(seen.user).toMatchObject({ id: other.id, username: other.username, email: null });
    const seenBack = await gqlOk(urlB, USER, { id: own.id }, other.token);
    expect(seenBack.user.email).toBeNull();
  });

  test('an unknown id gives null; a malformed id is BAD_USER_INPUT', async () => {
    const user = await signUp(urlA, 'uma');
    const unknown = await gql(urlB, USER, { id: randomUUID() }, user.token);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data).toEqual({ user: null });

    const malformed = await gqlError(urlA, USER, { id: 'not-a-uuid' }, user.token);
    expect(malformed.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('searchUsers', () => {
  // A prefix of our own, so that users of other tests never match.
  const p = `s${hex(6)}`;
  let alpha: TestUser & { payload: any };
  let beta: TestUser & { payload: any };
  let gamma: TestUser & { payload: any };
  let byDisplayName: TestUser & { payload: any };
  let middle: TestUser & { payload: any };
  const alphaEmail = `alpha_${hex(6)}@example.com`;

  beforeAll(async () => {
    alpha = await signUpWith(urlA, { username: `${p}_alpha`, displayName: 'Alpha One', email: alphaEmail });
    beta = await signUpWith(urlB, { username: `${p}_beta`, displayName: 'Beta Two', email: `beta_${hex(6)}@example.com` });
    gamma = await signUpWith(urlA, { username: `${p}gamma`, displayName: 'Gamma' });
    // Found only by its display name, which starts with the prefix in upper case.
    byDisplayName = await signUpWith(urlB, { username: `q${hex(10)}`, displayName: `${p.toUpperCase()} Delta` });
    // Holds the prefix in the middle of both names only.
    middle = await signUpWith(urlA, { username: `m${p}`, displayName: `Mid ${p}` });
  });

  const search = async (viewer: TestUser, q: string, first?: number, url = urlA) =>
    (await gqlOk(url, SEARCH, first === undefined ? { q } : { q, first }, viewer.token)).searchUsers as any[];

  test('matches a prefix of the username and, case-insensitively, of the display name; not the middle', async () => {
    const found = await search(beta, p);
    expect(ids(found)).toEqual(ids([alpha, beta, gamma, byDisplayName]));
    expect(ids(found)).not.toContain(middle.id);

    const upper = await search(beta, p.toUpperCase(), undefined, urlB);
    expect(ids(upper)).toEqual(ids([alpha, beta, gamma, byDisplayName]));

    const byName = await search(beta, `${p}_al`);
    expect(found.find((u) => u.id === alpha.id)).toMatchObject({ username: `${p}_alpha`, displayName: 'Alpha One' });
    expect(ids(byName)).toEqual([alpha.id]);

    const displayOnly = await search(beta, `${p} del`);
    expect(ids(displayOnly)).toEqual([byDisplayName.id]);
  });

  test('% and _ in the query are literal characters, not wildcards', async () => {
    // `_` as a wildcard would match gamma too.
    const underscore = await search(alpha, `${p}_`);
    expect(ids(underscore)).toEqual(ids([alpha, beta]));
    // `%` as a wildcard would match all of them (and everyone else).
    expect(await search(alpha, `${p}%`)).toEqual([]);
    expect(await search(alpha, `%${p}`)).toEqual([]);
    expect(await search(alpha, `${p}%a`)).toEqual([]);
  });

  test('first limits the count; 0 and 101 are BAD_USER_INPUT', async () => {
    const two = await search(gamma, p, 2);
    expect(two).toHaveLength(2);
    expect(ids([alpha, beta, gamma, byDisplayName])).toEqual(expect.arrayContaining(ids(two)));
    expect(await search(gamma, p, 1)).toHaveLength(1);
    expect(await search(gamma, p, 100)).toHaveLength(4);

    for (const first of [0, 101, -1]) {
      const error = await gqlError(urlB, SEARCH, { q: p, first }, gamma.token);
      expect({ first, code: error.extensions?.code }).toEqual({ first, code: 'BAD_USER_INPUT' });
    }
  });

  test('an empty query is BAD_USER_INPUT', async () => {
    for (const q of ['', '   ']) {
      const error = await gqlError(urlA, SEARCH, { q }, gamma.token);
      expect({ q, code: error.extensions?.code }).toEqual({ q, code: 'BAD_USER_INPUT' });
    }
  });

  test("others' emails are null in the results; one's own is shown", async () => {
    const asBeta = await search(beta, `${p}_`);
    expect(asBeta.find((u) => u.id === alpha.id)?.email).toBeNull();
    expect(asBeta.find((u) => u.id === beta.id)?.email).toBe(beta.payload.user.email);
    const asGamma = await search(gamma, p, undefined, urlB);
    expect(asGamma.map((u) => u.email)).toEqual([null, null, null, null]);
    const asAlpha = await search(alpha, `${p}_alpha`);
    expect(asAlpha).toEqual([{ id: alpha.id, username: `${p}_alpha`, displayName: 'Alpha One', email: alphaEmail }]);
  });

  test('needs a token', async () => {
    const error = await gqlError(urlA, SEARCH, { q: p });
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('over graphql-ws', () => {
  test('me works over the socket', async () => {
    const user = await signUp(urlA, 'wendy');
    const result = await wsRequest(urlB, user.token, '{ me { id username } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ me: { id: user.id, username: user.username } });
  });

  test('updateStatus works over the socket and is seen over HTTP', async () => {
    const user = await signUp(urlB, 'walt');
    const result = await wsRequest(urlA, user.token, UPDATE_STATUS, { s: ' on the socket ' });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ updateStatus: { id: user.id, statusMessage: 'on the socket' } });
    const me = await gqlOk(urlB, ME, {}, user.token);
    expect(me.me.statusMessage).toBe('on the socket');

    const tooLong = await wsRequest(urlA, user.token, UPDATE_STATUS, { s: 'x'.repeat(141) });
    expect(tooLong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
