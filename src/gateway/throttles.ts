import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { RateLimitedError } from '../errors';

/**
 * How often an address may sign up and log in, and how many wrong passwords an
 * account takes, in this gateway process (rate-limiter-flexible, in memory).
 * They bound what one client can make the gateway hash; with G gateways
 * behind a balancer an address gets up to G times the rate, still a bound.
 * A limit of 0 turns it off.
 */
export class AuthThrottles {
  private readonly signUps: RateLimiterMemory | null;
  private readonly logins: RateLimiterMemory | null;
  private readonly failures: RateLimiterMemory | null;

  constructor(limits: Config['authRate']) {
    const limiter = (points: number, duration: number) => (points > 0 ? new RateLimiterMemory({ points, duration }) : null);
    this.signUps = limiter(limits.signUpsPerAddressPerHour, 3600);
    this.logins = limiter(limits.loginsPerAddressPerMinute, 60);
    this.failures = limiter(limits.loginFailuresPerAccount, FAILURE_WINDOW_SECONDS);
  }

  /** Before a sign-up is hashed: one of the address's sign-ups, or RATE_LIMITED. */
  async signUp(address: string): Promise<void> {
    await take(this.signUps, address, 'too many sign-ups from your address');
  }

  /** Before a login is hashed: one of the address's logins, and the account must not be locked by wrong passwords. */
  async login(address: string, username: string): Promise<void> {
    const failed = await this.failures?.get(username);
    if (failed && failed.remainingPoints === 0) throw refusal(failed, 'too many wrong passwords for this account');
    await take(this.logins, address, 'too many logins from your address');
  }

  /** A wrong password counts against the account; a right one clears its count. */
  async loginFailed(username: string): Promise<void> {
    await this.failures?.penalty(username, 1);
  }

  async loginSucceeded(username: string): Promise<void> {
    await this.failures?.delete(username);
  }
}

/**
 * Requests per client address a second over HTTP, checked before the body is
 * read: a flood from one address is answered 429 for a fraction of what a
 * GraphQL request costs, so it cannot crowd out everyone else. A chat UI sends
 * a few a second; 0 turns it off.
 */
export class RequestRate {
  private readonly limiter: RateLimiterMemory | null;

  constructor(perSecond: number) {
    // A second's worth may come at once (a page load), then `perSecond`.
    this.limiter = perSecond > 0 ? new RateLimiterMemory({ points: perSecond, duration: 1 }) : null;
  }

  /** Takes one request of `address`, or says how long to wait (RATE_LIMITED). */
  async take(address: string): Promise<RateLimitedError | null> {
    try {
      await this.limiter?.consume(address);
      return null;
    } catch (err) {
      if (err instanceof RateLimiterRes) return refusal(err, 'too many requests from your address');
      throw err;
    }
  }
}

/** How long wrong passwords are counted against an account. */
const FAILURE_WINDOW_SECONDS = 15 * 60;

async function take(limiter: RateLimiterMemory | null, key: string, what: string): Promise<void> {
  try {
    await limiter?.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw refusal(err, what);
    throw err;
  }
}

function refusal(res: RateLimiterRes, what: string): RateLimitedError {
  const retryAfter = Math.ceil(res.msBeforeNext) / 1000;
  return new RateLimitedError(retryAfter, `${what}; try again in ${retryAfter} s`);
}

/**
 * How the gateway tells a client's address: the socket's peer, or, behind
 * proxies the operator trusts (TRUST_PROXY), the address they forwarded in
 * X-Forwarded-For. An untrusted peer's X-Forwarded-For is ignored: anyone can send one.
 */
export function clientAddressOf(trustProxy: Config['trustProxy']): (req: IncomingMessage) => string {
  if (trustProxy.length === 0) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trusted = proxyAddr.compile(trustProxy);
  return (req) => proxyAddr(req, trusted);
}
