import { DriverException } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { UserError } from '../src/errors';
import { toClientError } from '../src/gateway/errors';
import { StoreConflictError, StoreRejectedError, StoreUnavailableError, classifyStoreError, isStoreUnavailable } from '../src/store/errors';

// Pure logic: what PostgreSQL's failures mean, in the shapes pg, Node, knex and MikroORM give them.
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
  ['a NUL byte in a text (08P01 protocol violation, on a healthy connection)', withCode('invalid message format', '08P01')],
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

test.each([
  ['a NUL byte in a text', withCode('invalid message format', '08P01'), StoreRejectedError],
  ['an invalid byte sequence', withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021'), StoreRejectedError],
  ['a value too long', withCode('value too long for type character varying(64)', '22001'), StoreRejectedError],
  ['a missing reference', withCode('insert or update violates foreign key constraint', '23503'), StoreRejectedError],
  ['a concurrent duplicate', withCode('duplicate key value violates unique constraint', '23505'), StoreConflictError],
  ['a deadlock', withCode('deadlock detected', '40P01'), StoreConflictError],
  ['a serialization failure', withCode('could not serialize access', '40001'), StoreConflictError],
  ['a lock wait past lock_timeout', withCode('canceling statement due to lock timeout', '55P03'), StoreConflictError],
  ['a statement past statement_timeout', withCode('canceling statement due to statement timeout', '57014'), StoreConflictError],
  ['a session ended idle in a transaction', withCode('terminating connection due to idle-in-transaction timeout', '25P03'), StoreUnavailableError],
  ['a client left unusable by that', new Error('Client has encountered a connection error and is not queryable'), StoreUnavailableError],
  ['a refused connect', withCode('connect ECONNREFUSED 10.0.0.7:5432', 'ECONNREFUSED'), StoreUnavailableError],
  ['too many connections', withCode('sorry, too many clients already', '53300'), StoreUnavailableError],
  ['a connection that died', new Error('Connection terminated unexpectedly'), StoreUnavailableError],
])('%s is classified once, whether wrapped or not, and says whether it is retriable', (_what, error, kind) => {
  for (const raw of [error, wrapped(error)]) {
    const classified = classifyStoreError(raw);
    expect(classified).toBeInstanceOf(kind);
    expect((classified as StoreRejectedError).retriable).toBe(kind !== StoreRejectedError);
    expect((classified as Error).cause).toBe(raw);
    // Classifying again changes nothing.
    expect(classifyStoreError(classified)).toBe(classified);
  }
});

test('what is not a driver error passes unchanged: a user error, a bug', () => {
  const userError = new UserError('FORBIDDEN', 'not a member');
  const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
  expect(classifyStoreError(userError)).toBe(userError);
  expect(classifyStoreError(bug)).toBe(bug);
});

test("the statement and its values stay out of the message (knex puts them before the driver's)", () => {
  const raw = wrapped(withCode(`insert into users (username) values ('secret\u0000name') - invalid message format`, '08P01'));
  const classified = classifyStoreError(raw) as Error;
  expect(classified.message).toBe('invalid message format');
  expect((classified.cause as Error).message).toMatch(/secret/);
});
