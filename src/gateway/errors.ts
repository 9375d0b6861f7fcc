import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ServiceUnavailableError, UserError } from '../errors';
import { errorFields, type Logger } from '../log';
import { isStoreUnavailableOrBusy } from '../store/errors';

/** What a client is told while PostgreSQL cannot be reached: nothing about hosts, ports or SQL. */
export const STORE_UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable; try again shortly.';

/** GraphQL's own request errors (syntax, validation, variables) are the client's: BAD_USER_INPUT. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** graphql-js's suggestions: ` Did you mean "username"?`, ` Did you mean the enum value "TEXT"?`, … (names hold no `?`). */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * A request error's message without graphql-js's "Did you mean …?": in
 * production they would spell out, a guess at a time, the schema that
 * introspection is turned off to keep (what GraphQL Armor's
 * block-field-suggestions does).
 */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/**
 * The one place where errors become what a client sees: a contract code in
 * `extensions.code`, a message meant for people, and never a stack trace, SQL
 * or infrastructure detail (nor, in production, graphql-js's suggestions of
 * field names). Faults are logged here with what the client lacks.
 */
export function toClientError(
  formatted: GraphQLFormattedError,
  original: unknown,
  log: Logger,
  production: boolean,
): GraphQLFormattedError {
  const graphqlError = original instanceof GraphQLError ? original : null;
  const cause = graphqlError?.originalError ?? original;
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
  if (cause instanceof UserError) {
    return { ...base, message: cause.message, extensions: { ...cause.details, code: cause.code } };
  }
  if (cause instanceof ServiceUnavailableError) {
    return { ...base, message: cause.message, extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true, ...cause.details } };
  }
  if (isStoreUnavailableOrBusy(cause)) {
    // An outage or a busy database (a lock or statement timeout), not a bug: the operator's log says which;
    // the client may retry the same request.
    log.warn('database unavailable or busy while serving a request', { path: formatted.path, ...errorFields(cause) });
    return { ...base, message: STORE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true } };
  }
  const code = formatted.extensions?.code;
  // graphql-js raises errors about the request itself (a bad argument value, say) without a cause, or with
  // one of its own: a scalar refusing a variable's value (graphql-ws runs execution where Apollo does not).
  const raisedByGraphql = graphqlError && (!graphqlError.originalError || graphqlError.originalError instanceof GraphQLError);
  if ((typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) || raisedByGraphql) {
    return { ...base, message: production ? withoutSuggestions(base.message) : base.message, extensions: { code: 'BAD_USER_INPUT' } };
  }
  log.error('unexpected error while serving a request', { path: formatted.path, ...errorFields(cause, { stack: true }) });
  return {
    ...base,
    message: production ? 'Internal server error' : `Internal server error: ${formatted.message}`,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The code a client is shown for `error`, by toClientError, without logging (metrics label outcomes with it). */
export function clientCode(error: GraphQLError): string {
  return String(toClientError(error.toJSON(), error, SILENT, true).extensions?.code);
}
