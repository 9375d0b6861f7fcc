import { DriverException } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { UserError } from '../src/errors';
import { toClientError } from '../src/gateway/errors';
import { isStoreUnavailable } from '../src/store/unavailable';

// Pure logic: which errors mean "PostgreSQL cannot be reached", in the shapes pg, Node, knex and MikroORM give them.
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
/** MikroORM wraps every driver error, copying its fields (code included). */
const wrapped = (error: Error) => new DriverException(error);

test.each([
  ['a refused connect', withCode('connect ECONNREFUSED 10.0.0.7:5432', 'ECONNREFUSED')],
  ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
  ['a connect timing out in the kernel', withCode('connect ETIMEDOUT 10.0.0.7:5432', 'ETIMEDOUT')],
  ['a broken pipe', withCode('write EPIPE', 'EPIPE')],
  ['a connection that died mid-query', new Error('Connection terminated unexpectedly')],
  ["pg's connect timeout", new Error('timeout expired')],
  ["knex's pool acquire timeout", new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?')],
  ['SQLSTATE 08006 connection failure', withCode('connection failure', '08006')],
  ['SQLSTATE 57P01 admin shutdown', withCode('terminating connection due to administrator command', '57P01')],
  ['SQLSTATE 57P03 starting up', withCode('the database system is starting up', '57P03')],
])('unavailable: %s, bare and as MikroORM wraps it', (_what, error) => {
  expect(isStoreUnavailable(error)).toBe(true);
  expect(isStoreUnavailable(wrapped(error))).toBe(true);
});

test('unavailable through a cause or inside an AggregateError (a name with several addresses)', () => {
  expect(isStoreUnavailable(new Error('query failed', { cause: withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED') }))).toBe(true);
  expect(isStoreUnavailable(new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed'))).toBe(true);
});

test.each([
  ['a syntax error', withCode('syntax error at or near "selec"', '42601')],
  ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
  ['a bad value', withCode('invalid input syntax for type uuid', '22P02')],
  ['a serialization failure', withCode('could not serialize access', '40001')],
  ["the user's error", new UserError('FORBIDDEN', 'not a member')],
  ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
])('not unavailable: %s', (_what, error) => {
  expect(isStoreUnavailable(error)).toBe(false);
  expect(isStoreUnavailable(wrapped(error))).toBe(false);
});

test('not unavailable: values that are not errors', () => {
  for (const value of [undefined, null, 'ECONNREFUSED', { code: 'ECONNREFUSED' }]) expect(isStoreUnavailable(value)).toBe(false);
});

test('at the GraphQL edge an unreachable database is SERVICE_UNAVAILABLE, retriable, with no host, port or SQL', () => {
  const cause = wrapped(withCode('select 1 from revoked_tokens - connect ECONNREFUSED 10.0.0.7:5432', 'ECONNREFUSED'));
  const error = new GraphQLError(cause.message, { path: ['me'], originalError: cause });
  const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const seen = toClientError(error.toJSON(), error, silent, true);
  expect(seen.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retriable: true });
  expect(seen.path).toEqual(['me']);
  expect(JSON.stringify(seen)).not.toMatch(/select|revoked|ECONNREFUSED|10\.0\.0\.7|5432/i);
});
