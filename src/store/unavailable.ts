/**
 * Whether an error means PostgreSQL cannot be reached (down, restarting,
 * unreachable, or no connection to be had in time), as opposed to a problem
 * with the query or the data. Such failures are retriable: the same request
 * can succeed once the database is back. MikroORM wraps driver errors but
 * copies their `code`, so pg's and Node's codes are seen through the wrapper.
 */
export function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isConnectionFailure(e)) return true;
    // Node reports a failed connect to a name with several addresses as an AggregateError.
    if (e instanceof AggregateError && e.errors.some((inner) => inner instanceof Error && isConnectionFailure(inner))) return true;
  }
  return false;
}

/** Node socket errors: refused, reset, timed out, broken pipe, no route, name not resolved (yet). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that cannot serve now: 57P01 admin shutdown, 57P02
 * crash shutdown, 57P03 starting up or in recovery, 53300 too many connections.
 * Class 08 (connection exception) is matched by prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Messages pg and knex give these failures without a code: a connection that
 * died ('Connection terminated unexpectedly'), pg's connect timeout ('timeout
 * expired'), a client left unusable, and the pool's acquire timeout.
 */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout expired$/,
  /^Client has encountered a connection error and is not queryable/,
  /Timeout acquiring a connection/,
];

function isConnectionFailure(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(e.message));
}
