import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildSchema,
  getIntrospectionQuery,
  getNamedType,
  isObjectType,
  parse,
  specifiedRules,
  validate,
  type GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { LIST_SIZES, REQUEST_LIMITS, queryLimitsRule, requestRules, type QueryLimits } from '../src/gateway/limits';
import { buildChatSchema } from '../src/gateway/schema';
import { LIMITS } from '../src/rules';

// The pure rules: how an operation is measured, and what is refused with what.
const limits: QueryLimits = { ...REQUEST_LIMITS, pageMax: LIMITS.pageMax };
let chat: GraphQLSchema;
beforeAll(async () => {
  chat = await buildChatSchema();
});

/** A schema with a cycle, to reach depths the chat schema cannot. */
const nodes = buildSchema(`
  type Node { id: ID! child: Node children(first: Int): [Node!]! }
  type Query { node: Node nodes: [Node!]! }
`);

interface Refusal {
  message: string;
  reason?: string;
  limit?: number;
  actual?: number;
}

/** What each refusal says: the message and the details the client gets beside the code. */
const refusals = (schema: GraphQLSchema, query: string, rules = [queryLimitsRule(limits)]): Refusal[] =>
  validate(schema, parse(query), rules).map((e: GraphQLError) => ({ message: e.message, ...(e.originalError as { details?: object })?.details }));

/**
 * Every field of a type and, for object types, of theirs, down to `depth` levels (a page-size variable where there is one).
 * A type met again below itself (Message.replyTo) is selected with its leaves only: the service never fills a replyTo's replyTo.
 */
function selectAll(type: GraphQLNamedType, depth: number, path: readonly string[] = []): string {
  if (!isObjectType(type) || depth === 0) return '';
  if (path.includes(type.name)) depth = 1;
  const fields = Object.values(type.getFields()).map((f: GraphQLField<unknown, unknown>) => {
    const inner = selectAll(getNamedType(f.type), depth - 1, [...path, type.name]);
    return isObjectType(getNamedType(f.type)) && !inner ? '' : `${f.name} ${inner}`;
  });
  return `{ ${fields.join(' ')} }`;
}

test("every field of the contract, with every field under it, passes: the largest page of messages, and lists priced by what they hold asked for 10", () => {
  const roots = { query: chat.getQueryType()!, mutation: chat.getMutationType()!, subscription: chat.getSubscriptionType()! };
  for (const [operation, root] of Object.entries(roots)) {
    for (const field of Object.values(root.getFields())) {
      // A page of 10 rooms with every field of their 100 members each costs 8,301; a variable would ask for 100 such rooms.
      const literal = (name: string) => name === 'first' && `${root.name}.${field.name}` in LIST_SIZES;
      const args = field.args.map((a) => `${a.name}: ${literal(a.name) ? 10 : `$${a.name}`}`).join(', ');
      const vars = field.args.filter((a) => !literal(a.name)).map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const query = `${operation}${vars ? `(${vars})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selectAll(getNamedType(field.type), 6)} }`;
      expect({ query, refusals: refusals(chat, query) }).toEqual({ query, refusals: [] });
    }
  }
});

test("the web UI's operations pass with room to spare: under half of every limit", () => {
  const file = path.join(__dirname, '..', 'web', 'src', 'operations.ts');
  if (!fs.existsSync(file)) return; // a checkout without the web UI
  const documents = [...fs.readFileSync(file, 'utf8').matchAll(/graphql\(`([\s\S]*?)`\)/g)].map((m) => m[1]);
  expect(documents.length).toBeGreaterThan(5);
  const half = queryLimitsRule({ ...limits, maxDepth: limits.maxDepth / 2, maxCost: limits.maxCost / 2, maxAliases: limits.maxAliases / 2 });
  expect(refusals(chat, documents.join('\n'), [half])).toEqual([]);
});

test("graphql's standard introspection query (Sandbox, codegen) is not counted against the limits", () => {
  expect(refusals(chat, getIntrospectionQuery())).toEqual([]);
});

test('too deep: the error says how deep it was and what is allowed', () => {
  const nested = (levels: number) => `{ node ${'{ child '.repeat(levels - 2)}{ id }${' }'.repeat(levels - 2)} }`;
  expect(refusals(nodes, nested(limits.maxDepth))).toEqual([]);
  expect(refusals(nodes, nested(limits.maxDepth + 1))).toEqual([
    { message: 'query too deep: fields nested 11 levels, at most 10 allowed', reason: 'QUERY_TOO_DEEP', limit: 10, actual: 11 },
  ]);
  // Through fragments just the same.
  expect(refusals(nodes, '{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { child { child { child { child { child { child { child { id } } } } } } } } }')).toMatchObject([
    { reason: 'QUERY_TOO_DEEP', actual: 11 },
  ]);
});

test('cost: each field 1; a list its page size (literal, variable = the largest page, or 10) times what it selects', () => {
  const cost = (query: string, schema = nodes) => refusals(schema, query, [queryLimitsRule({ ...limits, maxCost: 0 })])[0].actual;
  expect(cost('{ node { id } }')).toBe(2);
  expect(cost('{ nodes { id } }')).toBe(1 + 10 * 1);
  expect(cost('{ node { children(first: 5) { id child { id } } } }')).toBe(1 + (1 + 5 * (1 + 2)));
  expect(cost('query($n: Int) { node { children(first: $n) { id } } }')).toBe(1 + (1 + 100 * 1));
  expect(cost('{ node { children(first: 100000) { id } } }')).toBe(1 + (1 + 100 * 1)); // refused when it runs; estimated at the largest page
  // A connection's page size applies to its edges.
  expect(cost('query($r: ID!) { messages(roomId: $r, last: 50) { edges { node { id } } pageInfo { hasPreviousPage } } }', chat)).toBe(
    1 + (1 + 50 * (1 + 1)) + (1 + 1),
  );
});

test('lists whose size others set are priced by what they can hold, or by their first; so the whole of a large list is refused', () => {
  const cost = (query: string) => refusals(chat, query, [queryLimitsRule({ ...limits, maxCost: 0 })])[0].actual;
  expect(cost('{ rooms { id } }')).toBe(1 + 500 * 1);
  expect(cost('{ rooms { id members { id } } }')).toBe(1 + 500 * (1 + (1 + 100 * 1)));
  expect(cost('{ rooms(first: 20) { id members { id } } }')).toBe(1 + 20 * (1 + (1 + 100 * 1)));
  expect(cost('query($n: Int) { rooms(first: $n) { id } }')).toBe(1 + 100 * 1);
  expect(cost('{ room(id: "x") { members { id } } }')).toBe(1 + (1 + 100 * 1));
  expect(cost('{ friends { id } }')).toBe(1 + 1000 * 1);
  expect(cost('{ friends(first: 30) { id } }')).toBe(1 + 30 * 1);
  expect(cost('{ bookmarks { id } }')).toBe(1 + 1000 * 1);
  expect(cost('{ bookmarks(first: 5) { id } }')).toBe(1 + 5 * 1);
  expect(cost('{ blockedUsers { id } }')).toBe(1 + 1000 * 1);
  // The issue's query: every room with its members, priced 431 when lists counted 10; it answered 30 MiB.
  expect(refusals(chat, '{ rooms { id name members { id username displayName statusMessage } } }')).toMatchObject([
    { reason: 'QUERY_TOO_COSTLY', actual: 1 + 500 * (2 + (1 + 100 * 4)) },
  ]);
  // What a user can hold is served whole: every field of every blocked user, or of every friend.
  expect(refusals(chat, '{ blockedUsers { id username displayName email statusMessage createdAt lastLoginAt lastLogoutAt } }')).toEqual([]);
  expect(refusals(chat, '{ friends { id username displayName email statusMessage createdAt lastLoginAt lastLogoutAt } }')).toEqual([]);
});

test('too costly: the error gives the estimate and the limit, and says what to do', () => {
  const page = 'messages(roomId: $r, last: 100) { edges { cursor node { id seq body createdAt sender { id username displayName } attachment { name url } } } }';
  const query = `query($r: ID!) { a: ${page} b: ${page} c: ${page} d: ${page} e: ${page} f: ${page} g: ${page} h: ${page} i: ${page} j: ${page} }`;
  const [refused] = refusals(chat, query);
  expect(refused).toEqual({
    message: expect.stringMatching(/^query too costly: estimated cost \d+, at most 12000 allowed .*ask for fewer items or fields$/),
    reason: 'QUERY_TOO_COSTLY',
    limit: 12000,
    actual: expect.any(Number),
  });
  expect(refused.actual).toBeGreaterThan(10000);
  expect(refusals(chat, `query($r: ID!) { a: ${page} }`)).toEqual([]);
});

test('too many aliases, counted in every place a fragment is spread', () => {
  const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ');
  expect(refusals(chat, `{ me { ${aliases(20)} } }`)).toEqual([]);
  expect(refusals(chat, `{ me { ${aliases(21)} } }`)).toEqual([
    { message: 'too many aliases: 21, at most 20 allowed', reason: 'TOO_MANY_ALIASES', limit: 20, actual: 21 },
  ]);
  expect(refusals(chat, `{ me { ...F } x: me { ...F } } fragment F on User { ${aliases(10)} }`)).toMatchObject([{ reason: 'TOO_MANY_ALIASES', actual: 21 }]);
});

test('fragments that double at every level are measured at once; cycles end', () => {
  const chain = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Node { a: child { ...F${i + 1} } b: child { ...F${i + 1} } }`).join('\n');
  const started = Date.now();
  const found = refusals(nodes, `{ node { ...F0 } }\n${chain}\nfragment F40 on Node { id }`);
  expect(Date.now() - started).toBeLessThan(1000);
  expect(found.map((r) => r.reason)).toEqual(['QUERY_TOO_DEEP', 'QUERY_TOO_COSTLY', 'TOO_MANY_ALIASES']);
  // A cycle is graphql's own error; measuring it does not loop.
  const cycle = validate(nodes, parse('{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }'), [
    ...specifiedRules,
    queryLimitsRule(limits),
  ]);
  expect(cycle.map((e) => e.message)).toEqual([expect.stringMatching(/Cannot spread fragment "A" within itself/)]);
});

test('introspection is refused only where it is turned off', () => {
  const query = '{ __schema { queryType { name } } }';
  expect(validate(chat, parse(query), requestRules({ introspection: true }))).toEqual([]);
  expect(refusals(chat, query, requestRules({ introspection: false }))).toEqual([
    { message: 'introspection is turned off on this server; the query asks for __schema', reason: 'INTROSPECTION_DISABLED' },
  ]);
  expect(validate(chat, parse('{ me { __typename } }'), requestRules({ introspection: false }))).toEqual([]);
});
