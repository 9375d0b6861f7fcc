/**
 * Errors are classified where they are made: either the user's (the request
 * itself is wrong and retrying it unchanged will not help) or a fault of the
 * service (retriable or not). Only the edges translate them: GraphQL
 * `extensions.code`, WebSocket close codes, Kafka replies.
 */
export const USER_ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

export class UserError extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
    /** More for the client beside the code (a limit and what the request had, say). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Over a rate limit: nothing was done; the same request may be sent again after `retryAfter` seconds. */
export class RateLimitedError extends UserError {
  constructor(
    readonly retryAfter: number,
    message: string,
  ) {
    super('RATE_LIMITED', message, { retryAfter });
    this.name = 'RateLimitedError';
  }
}

export const badInput = (message: string) => new UserError('BAD_USER_INPUT', message);
export const forbidden = (message = 'You are not allowed to do that.') => new UserError('FORBIDDEN', message);
export const notFound = (message: string) => new UserError('NOT_FOUND', message);
/** The moderation observer muted the user until `until` (sendChat, editMessage, addReaction). */
export const muted = (until: string) => new UserError('FORBIDDEN', `you are muted until ${until}`, { reason: 'MUTED', until });
export const conflict = (message: string) => new UserError('CONFLICT', message);
export const unauthenticated = (message = 'You must be logged in.') => new UserError('UNAUTHENTICATED', message);
/**
 * A request over one of the gateway's limits (query cost, subscriptions per
 * socket, body size): BAD_USER_INPUT like other refused input, with `reason`
 * naming the limit, the `limit` and what the request had (`actual`).
 */
export const overLimit = (reason: string, message: string, limit: number, actual?: number) =>
  new UserError('BAD_USER_INPUT', message, { reason, limit, ...(actual === undefined ? {} : { actual }) });

/** A dependency did not answer in time; the client may retry (idempotently). */
export class ServiceUnavailableError extends Error {
  readonly retriable = true;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

export function isUserErrorCode(code: unknown): code is UserErrorCode {
  return typeof code === 'string' && (USER_ERROR_CODES as readonly string[]).includes(code);
}
