import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SEND_CHAT, gql, gqlOk, roomOfTwo, serviceForThisFile, signUp, wsExecute, wsRequest } from './support';

// What an anonymous or careless client must not be able to do to everyone else's service:
// text PostgreSQL refuses, and documents that cost seconds to parse and validate.
const service = serviceForThisFile('hardening');
const url = () => service.urls[0];

const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }';
const newName = () => `nul_${randomUUID().slice(0, 8)}`;

describe('text that is not text is refused at the edge', () => {
  test.each([
    ['a NUL', 'before\u0000after'],
    ['a lone high surrogate', 'before\ud800after'],
    ['a lone low surrogate', 'before\udc00after'],
  ])('%s in a variable: BAD_USER_INPUT naming where, nothing enqueued', async (_what, text) => {
    const username = newName();
    const res = await gql(url(), SIGN_UP, { input: { username, password: 'correct horse battery', displayName: text } });
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
    expect(res.errors?.[0].message).toContain('variables.input.displayName');
    // Nothing was created: the same name is still free.
    await gqlOk(url(), SIGN_UP, { input: { username, password: 'correct horse battery' } });
  });

  test('a NUL in a string literal of the query: BAD_USER_INPUT', async () => {
    const res = await gql(url(), `mutation { signUp(input: { username: "${newName()}", password: "correct horse battery", displayName: "a\\u0000b" }) { user { id } } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
  });

  test('a NUL in a message over graphql-ws is refused too, and the room goes on', async () => {
    const { alice, roomId } = await roomOfTwo(url());
    const refused = await wsRequest(url(), alice.token, SEND_CHAT, { input: { roomId, body: 'x\u0000y' } });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
    const sent = await gqlOk(url(), SEND_CHAT, { input: { roomId, body: 'hello' } }, alice.token);
    expect(sent.sendChat).toMatchObject({ seq: 1, body: "hello" });
  });

  test('a whitespace-only message is refused; a display name with a bidirectional override too', async () => {
    const { alice, roomId } = await roomOfTwo(url());
    const blank = await gql(url(), SEND_CHAT, { input: { roomId, body: ' \n\t ' } }, alice.token);
    expect(blank.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const bidi = await gql(url(), SIGN_UP, { input: { username: newName(), password: 'correct horse battery', displayName: 'evil\u202Egnp.exe' } });
    expect(bidi.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('documents are bounded before they cost time', () => {
  test('a document of 32,000 operations is refused while parsing: 400 BAD_USER_INPUT', async () => {
    const query = Array.from({ length: 32_000 }, (_, i) => `query q${i} { me { id } }`).join('\n');
    const res = await gql(url(), query);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/tokens/);
  });

  test('64,000 variable definitions are refused the same way', async () => {
    const query = `query(${Array.from({ length: 64_000 }, (_, i) => `$v${i}: Int`).join(' ')}) { __typename }`;
    const res = await gql(url(), query);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/tokens/);
  });

  test('3,000 chained fragments: BAD_USER_INPUT, not a stack overflow', async () => {
    const chain = Array.from({ length: 3_000 }, (_, i) => `fragment f${i} on Query { ...f${i + 1} }`).join('\n');
    const query = `{ ...f0 }\n${chain}\nfragment f3000 on Query { __typename }`;
    const res = await gql(url(), query);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('the same documents over graphql-ws end that operation with BAD_USER_INPUT', async () => {
    const user = await signUp(url(), 'ws');
    const query = Array.from({ length: 32_000 }, (_, i) => `query q${i} { me { id } }`).join('\n').slice(0, 1_000_000);
    const res = await wsRequest(url(), user.token, query);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/tokens/);
  });

  test('50,000 levels of nesting over graphql-ws end that operation, not the socket', async () => {
    const user = await signUp(url(), 'nest');
    const client = createClient({ url: url().replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${user.token}` }, retryAttempts: 0 });
    let closedWith: number | undefined;
    client.on('closed', (event) => void (closedWith = (event as { code: number }).code));
    try {
      const deep = `{ ${'me { friends { '.repeat(25_000)}id${' }'.repeat(50_000)} }`;
      const refused = await wsExecute(client, deep);
      expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      // The same socket serves the next operation.
      expect((await wsExecute(client, '{ me { id } }')).data?.me.id).toBe(user.id);
      expect(closedWith).toBeUndefined();
    } finally {
      await client.dispose();
    }
  });
});
