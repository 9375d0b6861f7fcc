import { RateLimiter } from './rate-limit';

/** A `typing: true` repeated within this is not produced again (it is called on key presses); the lapse is TYPING_LAPSE_MS. */
export const TYPING_REPEAT_MS = 2_000;
/** setTyping per user: key presses are fast, but not this fast for long. */
export const TYPING_RATE = { perSecond: 10, burst: 20 };

/**
 * What of a user's setTyping calls goes to Kafka: a change (true after false,
 * or false after true), and a repeated `true` at most every TYPING_REPEAT_MS
 * to keep it from lapsing. The rest is answered without a produce or a read.
 */
export class TypingSignals {
  readonly rate: RateLimiter;
  private readonly last = new Map<string, { typing: boolean; at: number }>();
  private lastSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.rate = new RateLimiter(TYPING_RATE, now, `typing signals too fast: at most ${TYPING_RATE.burst} at once, then ${TYPING_RATE.perSecond} a second`);
    this.lastSweep = now();
  }

  /** Whether this signal is to be produced; it counts as produced when it is (see sent). */
  due(userId: string, roomId: string, typing: boolean): boolean {
    const last = this.last.get(`${userId}/${roomId}`);
    if (!last) return typing; // never typed: a `false` tells nobody anything
    if (last.typing !== typing) return true;
    return typing && this.now() - last.at >= TYPING_REPEAT_MS;
  }

  sent(userId: string, roomId: string, typing: boolean): void {
    const now = this.now();
    this.sweep(now);
    this.last.set(`${userId}/${roomId}`, { typing, at: now });
  }

  /** Entries older than any lapse say nothing any more: dropped, so the map holds only recent typists. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [key, { at }] of this.last) if (now - at > 10_000) this.last.delete(key);
  }
}
