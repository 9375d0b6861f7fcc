import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import type { App } from '../src/app';
import { buildChatSchema } from '../src/gateway/schema';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gql, signUp, startTestApp, testConfig, uniquePrefix, wsExecute, wsRequest, type GqlResult } from './support';

// Rules that hold for the whole API, checked against every operation the schema serves.
const prefix = uniquePrefix('api');
let app: App;
let url: string;

beforeAll(async () => {
  app = await startTestApp(testConfig(prefix), ['worker', 'gateway']);
  url = app.gateway!.url;
});

afterAll(async () => {
  await app?.stop();
});

/** A well-formed value of an argument's type, so the request passes validation and reaches the resolver. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).map((field) => [field.name, sample(field.type)]));
  }
  return { ID: randomUUID(), Int: 1, String: 'x', Boolean: true }[type.name];
}

function operation(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>) {
  const vars = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const selection = isObjectType(getNamedType(field.type)) ? '{ __typename }' : '';
  return {
    query: `${kind}${vars ? `(${vars})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selection} }`,
    variables: Object.fromEntries(field.args.map((arg) => [arg.name, sample(arg.type)])),
  };
}

/** Every query and mutation of the served schema but those named, with well-formed arguments. */
async function operations(except: string[]) {
  const schema = await buildChatSchema();
  return [
    ...Object.values(schema.getQueryType()!.getFields()).map((f) => ({ name: f.name, ...operation('query', f) })),
    ...Object.values(schema.getMutationType()!.getFields()).map((f) => ({ name: f.name, ...operation('mutation', f) })),
  ].filter((op) => !except.includes(op.name));
}

test('every operation but signUp and login answers UNAUTHENTICATED without a valid token', async () => {
  const needViewer = await operations(['signUp', 'login']);
  expect(needViewer.length).toBeGreaterThanOrEqual(19); // the contract's 8 queries and 11 mutations that need a viewer
  for (const { query, variables } of needViewer) {
    for (const token of [undefined, 'not-a-jwt']) {
      const result = await gql(url, query, variables, token);
      expect({ query, token, codes: result.errors?.map((e) => e.extensions?.code) }).toEqual({ query, token, codes: ['UNAUTHENTICATED'] });
    }
  }
});

test('every query and mutation answers the same over graphql-ws as over HTTP', async () => {
  const user = await signUp(url, 'both');
  const outcome = ({ data, errors }: GqlResult) => ({ data: data ?? null, codes: errors?.map((e) => e.extensions?.code) ?? [] });
  // logout would end the token; signUp and login need none (both are covered in account.e2e).
  for (const { name, query, variables } of await operations(['signUp', 'login', 'logout'])) {
    const overHttp = outcome(await gql(url, query, variables, user.token));
    const overWs = outcome(await wsRequest(url, user.token, query, variables));
    expect({ name, ...overWs }).toEqual({ name, ...overHttp });
    expect({ name, codes: overWs.codes }).not.toEqual({ name, codes: ['INTERNAL_SERVER_ERROR'] });
  }
});

test('malformed requests answer BAD_USER_INPUT in GraphQL shape, without stack traces', async () => {
  const post = async (body: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, text: await res.text() };
  };
  const cases = [
    '{"query": "{ me { id }"', // not JSON
    JSON.stringify({ query: '{ me { id ' }), // not GraphQL
    JSON.stringify({ query: '{ me { nope } }' }), // no such field
    JSON.stringify({ query: 'query($id: ID!) { user(id: $id) { id } }', variables: { id: { not: 'an id' } } }),
    JSON.stringify({ query: 'query($id: ID!) { user(id: $id) { id } }' }), // missing variable
  ];
  for (const body of cases) {
    const { status, text } = await post(body);
    expect(status).toBe(400);
    const answer = JSON.parse(text) as { errors: { extensions: { code: string; stacktrace?: unknown } }[] };
    expect(answer.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(text).not.toMatch(/stacktrace|\s+at .*\.(js|ts):\d+/);
  }
});

test('malformed operations over graphql-ws answer BAD_USER_INPUT for that operation and leave the socket open', async () => {
  const viewer = await signUp(url, 'malformed');
  const closes: number[] = [];
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${viewer.token}` },
    retryAttempts: 0,
    lazy: false, // one socket for the whole test, so a close would show
    on: { closed: (event) => void closes.push((event as { code: number }).code) },
  });
  try {
    const cases: [string, Record<string, unknown>][] = [
      ['{ me { id ', {}], // not GraphQL
      ['{ me { nope } }', {}], // no such field
      ['query($id: ID!) { user(id: $id) { id } }', { id: { not: 'an id' } }],
      ['query($id: ID!) { user(id: $id) { id } }', {}], // missing variable
    ];
    for (const [query, variables] of cases) {
      const result = await wsExecute(client, query, variables);
      expect({ query, code: result.errors?.[0]?.extensions?.code }).toEqual({ query, code: 'BAD_USER_INPUT' });
      expect(JSON.stringify(result.errors)).not.toMatch(/stacktrace|\s+at .*\.(js|ts):\d+/);
    }
    // The same socket still serves.
    expect((await wsExecute(client, '{ me { id } }')).data).toEqual({ me: { id: viewer.id } });
    expect(closes).toEqual([]);
  } finally {
    await client.dispose();
  }
});
