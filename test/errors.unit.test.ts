import { GraphQLError } from 'graphql';
import { toClientError, withoutSuggestions } from '../src/gateway/errors';
import { RateLimitedError, ServiceUnavailableError, UserError, forbidden } from '../src/errors';

// Pure logic: how errors made anywhere reach the client. A silent logger records what only operators see.
const logged: Record<string, unknown>[] = [];
const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_msg: string, fields?: Record<string, unknown>) => void logged.push(fields ?? {}) };

function asClientSees(error: Error, production: boolean) {
  const wrapped = new GraphQLError(error.message, { path: ['me'], originalError: error });
  return toClientError(wrapped.toJSON(), wrapped, log, production);
}

test('a fault in production says only "Internal server error": no SQL, no stack, no infrastructure detail', () => {
  const fault = new Error('insert into "users" ("id") values ($1) - connect ECONNREFUSED 10.0.0.7:5432');
  const seen = asClientSees(fault, true);
  expect(seen).toEqual({ message: 'Internal server error', path: ['me'], locations: undefined, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  expect(JSON.stringify(seen)).not.toMatch(/insert|ECONNREFUSED|10\.0\.0\.7|stack/i);
  // The operator's log keeps what the client does not see.
  expect(logged.at(-1)).toMatchObject({ err: fault.message, stack: expect.stringContaining('errors.unit.test') });
});

test('outside production the fault message is shown to help development, still without a stack', () => {
  const seen = asClientSees(new Error('boom'), false);
  expect(seen.message).toBe('Internal server error: boom');
  expect(seen.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
});

test("the user's errors keep their code and message; an unconfirmed command says it may be retried", () => {
  expect(asClientSees(forbidden('only members can read this room'), true)).toMatchObject({
    message: 'only members can read this room',
    extensions: { code: 'FORBIDDEN' },
  });
  const unavailable = asClientSees(new ServiceUnavailableError('not confirmed in time', { commandId: 'c1', outcome: 'UNKNOWN' }), true);
  expect(unavailable.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retriable: true, commandId: 'c1', outcome: 'UNKNOWN' });
});

test("GraphQL's own request errors are the client's: BAD_USER_INPUT", () => {
  const invalid = new GraphQLError('Variable "$id" of required type "ID!" was not provided.');
  expect(toClientError(invalid.toJSON(), invalid, log, true).extensions).toEqual({ code: 'BAD_USER_INPUT' });
});

test("a user error's details reach the client beside its code, which they cannot replace", () => {
  expect(asClientSees(new RateLimitedError(0.05, 'sending too fast; try again in 0.05 s'), true)).toMatchObject({
    message: 'sending too fast; try again in 0.05 s',
    extensions: { code: 'RATE_LIMITED', retryAfter: 0.05 },
  });
  const over = new UserError('BAD_USER_INPUT', 'query too costly', { reason: 'QUERY_TOO_COSTLY', limit: 5000, actual: 6000, code: 'OTHER' });
  expect(asClientSees(over, true).extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY', limit: 5000, actual: 6000 });
});

test('withoutSuggestions drops graphql-js\'s "Did you mean …?" and nothing else', () => {
  expect(withoutSuggestions('Cannot query field "usernam" on type "User". Did you mean "username"?')).toBe('Cannot query field "usernam" on type "User".');
  expect(withoutSuggestions('Unknown type "Usr". Did you mean "User", "Room", or "Message"?')).toBe('Unknown type "Usr".');
  expect(withoutSuggestions('Value "TXT" does not exist in "MessageKind" enum. Did you mean the enum value "TEXT"?')).toBe(
    'Value "TXT" does not exist in "MessageKind" enum.',
  );
  expect(withoutSuggestions('Field "body" of required type "String!" was not provided.')).toBe('Field "body" of required type "String!" was not provided.');
});

test('a read that PostgreSQL timed out (a statement or lock timeout) is SERVICE_UNAVAILABLE, retriable, not a fault', () => {
  const timedOut = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014', severity: 'ERROR' });
  expect(asClientSees(timedOut, true)).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true } });
  const lockTimeout = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03', severity: 'ERROR' });
  expect(asClientSees(lockTimeout, true)).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true } });
  // A statement PostgreSQL refuses is still a fault of the service, not the database's.
  const refused = Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02', severity: 'ERROR' });
  expect(asClientSees(refused, true).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
});
