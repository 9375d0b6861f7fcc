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
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export const badInput = (message: string) => new UserError('BAD_USER_INPUT', message);
export const forbidden = (message = 'You are not allowed to do that.') => new UserError('FORBIDDEN', message);
export const notFound = (message: string) => new UserError('NOT_FOUND', message);
export const conflict = (message: string) => new UserError('CONFLICT', message);
export const unauthenticated = (message = 'You must be logged in.') => new UserError('UNAUTHENTICATED', message);

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
