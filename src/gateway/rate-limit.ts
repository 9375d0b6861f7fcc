import { RateLimitedError } from '../errors';

interface Bucket {
  tokens: number;
  /** When `tokens` was counted (ms). */
  at: number;
}

/**
 * A token bucket per user, in this gateway process: `burst` sends at once,
 * then `perSecond` a second. perSecond 0 turns it off. A full bucket is the
 * same as none, so full ones are dropped: the map holds only users who sent
 * within about the last two refill times.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;

  constructor(
    private readonly rate: { perSecond: number; burst: number },
    private readonly now: () => number = Date.now,
    /** What a refusal says, before when to try again. */
    private readonly refusal = `sending too fast: at most ${rate.burst} messages at once, then ${rate.perSecond} a second`,
  ) {
    this.lastSweep = now();
  }

  /** Users with a bucket that is not full (for tests). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`, or throws RATE_LIMITED saying when there will be one; a refusal takes nothing. */
  take(key: string): void {
    const { perSecond, burst } = this.rate;
    if (perSecond === 0) return;
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key);
    const tokens = bucket ? this.tokensAt(bucket, now) : burst;
    if (tokens < 1) {
      // In seconds, rounded up to the millisecond: a retry that waits this long gets through.
      const retryAfter = Math.ceil(((1 - tokens) / perSecond) * 1000) / 1000;
      throw new RateLimitedError(retryAfter, `${this.refusal}; try again in ${retryAfter} s`);
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
  }

  private tokensAt(bucket: Bucket, now: number): number {
    return Math.min(this.rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate.perSecond);
  }

  /** Once per refill time (burst / perSecond), so a take costs O(1) on average. */
  private sweep(now: number): void {
    if (now - this.lastSweep < (this.rate.burst / this.rate.perSecond) * 1000) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (this.tokensAt(bucket, now) >= this.rate.burst) this.buckets.delete(key);
    }
  }
}

/**
 * addFriend, createRoom and inviteToRoom of one user, in one bucket: `perMinute`
 * at once, then `perMinute` a minute (0 turns it off). They are how a spammer
 * reaches strangers; blockUser, the defence, is never limited.
 */
export function socialRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  return new RateLimiter(
    { perSecond: perMinute / 60, burst: Math.max(perMinute, 1) },
    now,
    `too many friend requests, rooms and invitations: at most ${perMinute} at once, then ${perMinute} a minute`,
  );
}
