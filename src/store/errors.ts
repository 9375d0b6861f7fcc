/**
 * PostgreSQL's failures, classified once where the store catches them from the
 * driver, by what they mean for whoever asked:
 *
 * - StoreUnavailableError: the database cannot be reached (down, restarting,
 *   refusing connections, no connection to be had in time). Retriable: the
 *   same request succeeds once it is back.
 * - StoreConflictError: a deadlock, a serialization failure, a concurrent
 *   duplicate, or a lock or statement that ran out of time (lock_timeout,
 *   statement_timeout: a holder frozen or slow). Retriable: another attempt
 *   sees the winner, or finds the lock freed.
 * - StoreRejectedError: PostgreSQL refused the statement itself (bad data, a
 *   constraint, a protocol violation such as a NUL byte in a text). Not
 *   retriable: the same command fails the same way.
 *
 * Anything else (a UserError, a bug) is passed on as it is.
 */
export abstract class StoreError extends Error {
  abstract readonly retriable: boolean;
  constructor(
    message: string,
    /** The driver's SQLSTATE or Node's socket error code, when it gave one. */
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

export class StoreUnavailableError extends StoreError {
  readonly retriable = true;
  override readonly name = 'StoreUnavailableError';
}

export class StoreConflictError extends StoreError {
  readonly retriable = true;
  override readonly name = 'StoreConflictError';
}

export class StoreRejectedError extends StoreError {
  readonly retriable = false;
  override readonly name = 'StoreRejectedError';
}

/** Node socket errors: refused, reset, timed out, broken pipe, no route, name not resolved (yet). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that cannot serve now or a connection that was lost:
 * 57P01 admin shutdown, 57P02 crash shutdown, 57P03 starting up, 57P05 idle
 * session timeout, 25P03 idle-in-transaction timeout (the server ended the
 * session: a new attempt opens a new one), 53300 too many connections, and
 * the class-08 codes of a connection that failed or was refused. Not 08P01 (protocol violation): PostgreSQL answers it to a
 * statement it cannot read (a NUL byte in a text, say) on a healthy connection.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P05', '25P03', '53300', '08000', '08001', '08003', '08004', '08006']);

/**
 * 40P01 deadlock, 40001 serialization failure, 23505 unique violation (a
 * concurrent duplicate), 55P03 lock not available (lock_timeout), 57014 query
 * canceled (statement_timeout, or a cancel by an operator).
 */
const CONFLICT_SQLSTATES = new Set(['40P01', '40001', '23505', '55P03', '57014']);

/**
 * Messages pg and knex give a lost connection without a code: a connection
 * that died ('Connection terminated unexpectedly'), pg's connect timeout
 * ('timeout expired'), a client left unusable, and the pool's acquire timeout.
 */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout expired$/,
  /^Client has encountered a connection error and is not queryable/,
  /Timeout acquiring a connection/,
];

/** A SQLSTATE: five characters of digits and capitals. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * What a driver error means, as a StoreError; anything that is not one is
 * returned unchanged. MikroORM wraps driver errors but copies their `code`, and
 * Node reports a failed connect to a name with several addresses as an
 * AggregateError, so causes and inner errors are looked through.
 */
export function classifyStoreError(err: unknown): unknown {
  if (err instanceof StoreError || !isErrorLike(err)) return err;
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < 5; e = e.cause, depth++) {
    const errors = (e as { errors?: unknown }).errors; // an AggregateError's
    const inner = Array.isArray(errors) ? errors.filter(isErrorLike) : [];
    const message = withoutSql(err.message);
    if ([e, ...inner].some(isConnectionFailure)) return new StoreUnavailableError(message, codeOf(e), { cause: err });
    const code = codeOf(e);
    if (code !== undefined && SQLSTATE.test(code)) {
      return CONFLICT_SQLSTATES.has(code)
        ? new StoreConflictError(message, code, { cause: err })
        : new StoreRejectedError(message, code, { cause: err });
    }
  }
  return err;
}

/** A lock or statement timeout, a deadlock, a serialization failure: the database was busy, not the request wrong. */
const BUSY_SQLSTATES = new Set(['55P03', '57014', '40P01', '40001']);

/**
 * Whether PostgreSQL could not be reached or was too busy to answer in time,
 * so the same request may succeed when sent again: what the gateway's edge
 * answers SERVICE_UNAVAILABLE for. A unique violation, a conflict the worker
 * retries, is not: a read never causes one.
 */
export function isStoreUnavailableOrBusy(err: unknown): boolean {
  const classified = classifyStoreError(err);
  return (
    classified instanceof StoreUnavailableError ||
    (classified instanceof StoreConflictError && classified.code !== undefined && BUSY_SQLSTATES.has(classified.code))
  );
}

/** Whether PostgreSQL cannot be reached. */
export function isStoreUnavailable(err: unknown): boolean {
  return classifyStoreError(err) instanceof StoreUnavailableError;
}

/** Runs a store operation, its driver errors classified. */
export async function classified<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    throw classifyStoreError(err);
  }
}

/**
 * knex puts the statement, values inlined, before the driver's message
 * ("insert into ... - invalid message format"): kept out of the message, so
 * logs and dead-letter headers carry no user data.
 */
function withoutSql(message: string): string {
  const at = message.lastIndexOf(' - ');
  return at === -1 ? message : message.slice(at + 3);
}

/**
 * An Error by shape, not by `instanceof`: the driver's errors can come from
 * another realm (Node's own, under jest's module sandbox), where instanceof fails.
 */
function isErrorLike(e: unknown): e is Error {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

function codeOf(e: Error): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectionFailure(e: Error): boolean {
  const code = codeOf(e);
  if (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code))) return true;
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(e.message));
}
