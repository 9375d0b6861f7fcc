import { createClient, type Client } from 'graphql-ws';
import { startMemoryServer, type MemoryServer } from '../bench/memory-server';
import { gql as request, waitFor } from './support';

/** The in-memory ceiling server of the benchmark: no Kafka, no database, so a unit test. */

let server: MemoryServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startMemoryServer(0);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await server.stop();
});

/** The support helper's request, on this server. */
const gql = (query: string, variables: Record<string, unknown>, token?: string) => request(server.url, query, variables, token);

async function signUp(name: string): Promise<{ id: string; token: string }> {
  const { data } = await gql('mutation($input: SignUpInput!) { signUp(input: $input) { token expiresAt user { id email } } }', {
    input: { username: name, password: 'correct horse battery', email: `${name}@example.com` },
  });
  expect(new Date(data.signUp.expiresAt).getTime()).toBeGreaterThan(Date.now());
  expect(data.signUp.user.email).toBe(`${name}@example.com`); // the new user sees their own email
  return { id: data.signUp.user.id, token: data.signUp.token };
}

function wsClient(token: string | null): Client {
  const client = createClient({
    url: server.url.replace(/^http/, 'ws'),
    webSocketImpl: require('ws'),
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

const SEND = 'mutation($input: SendChatInput!) { sendChat(input: $input) { id seq body kind clientMessageId createdAt bookmarked } }';
const WATCH = 'subscription($roomId: ID!, $afterSeq: Int) { roomMessages(roomId: $roomId, afterSeq: $afterSeq) { seq body } }';

test('a member sees every chat once and in order; a non-member is FORBIDDEN', async () => {
  const alice = await signUp('alice');
  const bob = await signUp('bob');
  const eve = await signUp('eve');
  expect((await gql('mutation($id: ID!) { addFriend(userId: $id) { id } }', { id: bob.id }, alice.token)).data.addFriend.id).toBe(bob.id);
  const created = await gql('mutation($ids: [ID!]!) { createRoom(name: "r", memberIds: $ids) { id lastSeq members { id } } }', { ids: [bob.id] }, alice.token);
  const room = created.data.createRoom;
  expect(room.lastSeq).toBe(0);
  expect(room.members.map((m: { id: string }) => m.id).sort()).toEqual([alice.id, bob.id].sort());
  // Only a user's own view of themself carries their email.
  const views = await gql('query($id: ID!) { me { email } room(id: $id) { members { id email } } }', { id: room.id }, bob.token);
  expect(views.data.me.email).toBe('bob@example.com');
  expect(views.data.room.members.map((m: { email: string | null }) => m.email)).toEqual([null, null]);

  // afterSeq 0: whatever is sent before the subscription reaches the server is replayed, so no wait is needed.
  const seen: number[] = [];
  let failure: unknown = null;
  wsClient(bob.token).subscribe<{ roomMessages: { seq: number } }>(
    { query: WATCH, variables: { roomId: room.id, afterSeq: 0 } },
    { next: ({ data }) => void (data && seen.push(data.roomMessages.seq)), error: (err) => void (failure = err), complete: () => undefined },
  );

  for (const body of ['one', 'two', 'three']) {
    const { data, errors } = await gql(SEND, { input: { roomId: room.id, body, clientMessageId: body } }, alice.token);
    expect(errors).toBeUndefined();
    expect(data.sendChat).toMatchObject({ body, kind: 'TEXT', bookmarked: false });
  }
  // A resend with the same key is the first message again, not a fourth.
  const again = await gql(SEND, { input: { roomId: room.id, body: 'one', clientMessageId: 'one' } }, alice.token);
  expect(again.data.sendChat.seq).toBe(1);

  // A marker after the resend: once it arrives, anything the resend published would have arrived before it.
  await gql(SEND, { input: { roomId: room.id, body: 'marker' } }, alice.token);
  await waitFor('the marker message live', () => seen.includes(4) || failure !== null);
  expect(failure).toBeNull();
  expect(seen).toEqual([1, 2, 3, 4]);

  const history = await gql('query($id: ID!) { messages(roomId: $id, last: 2) { edges { node { seq } } pageInfo { hasPreviousPage } } }', { id: room.id }, bob.token);
  expect(history.data.messages.edges.map((e: { node: { seq: number } }) => e.node.seq)).toEqual([3, 4]);
  expect(history.data.messages.pageInfo.hasPreviousPage).toBe(true);

  // Eve is not a member: writing, reading and subscribing are FORBIDDEN.
  expect((await gql(SEND, { input: { roomId: room.id, body: 'hi' } }, eve.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await gql('query($id: ID!) { messages(roomId: $id) { edges { cursor } } }', { id: room.id }, eve.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const refused = await new Promise<any[]>((resolve, reject) => {
    wsClient(eve.token).subscribe(
      { query: WATCH, variables: { roomId: room.id, afterSeq: 0 } },
      { next: ({ errors }) => void (errors && resolve(errors as any[])), error: (err) => (Array.isArray(err) ? resolve(err) : reject(err)), complete: () => undefined },
    );
  });
  expect(refused[0].extensions.code).toBe('FORBIDDEN');
});

test('a socket without a valid token is closed with 4403', async () => {
  for (const token of [null, 'not-a-token']) {
    const closed = await new Promise<number>((resolve) => {
      wsClient(token).subscribe(
        { query: WATCH, variables: { roomId: '00000000-0000-0000-0000-000000000000' } },
        { next: () => undefined, error: (err) => resolve((err as { code: number }).code), complete: () => resolve(0) },
      );
    });
    expect(closed).toBe(4403);
  }
});
