import { RateLimitedError } from '../src/errors';
import { RateLimiter, socialRateLimiter } from '../src/gateway/rate-limit';

// The token bucket on a clock the test moves.
let now = 0;
const clock = () => now;
beforeEach(() => void (now = 1_000_000));

function refusal(take: () => void): RateLimitedError {
  try {
    take();
  } catch (err) {
    if (err instanceof RateLimitedError) return err;
    throw err;
  }
  throw new Error('expected RATE_LIMITED');
}

test('a burst, then the refill rate; a refusal says when to retry and takes nothing', () => {
  const limiter = new RateLimiter({ perSecond: 10, burst: 20 }, clock);
  for (let i = 0; i < 20; i++) limiter.take('alice');
  const refused = refusal(() => limiter.take('alice'));
  expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 0.1, details: { retryAfter: 0.1 } });
  expect(refused.message).toBe('sending too fast: at most 20 messages at once, then 10 a second; try again in 0.1 s');
  now += 40;
  expect(refusal(() => limiter.take('alice')).retryAfter).toBe(0.06);
  now += 60; // exactly when it said
  limiter.take('alice');
  expect(refusal(() => limiter.take('alice')).retryAfter).toBe(0.1);
  // Others have buckets of their own.
  limiter.take('bob');
});

test('perSecond 0 turns it off', () => {
  const limiter = new RateLimiter({ perSecond: 0, burst: 1 }, clock);
  for (let i = 0; i < 1000; i++) limiter.take('alice');
  expect(limiter.size).toBe(0);
});

test('full buckets are dropped, so the map holds only users who sent lately', () => {
  const limiter = new RateLimiter({ perSecond: 10, burst: 20 }, clock);
  for (let i = 0; i < 1000; i++) limiter.take(`user${i}`);
  expect(limiter.size).toBe(1000);
  now += 2_000; // a refill time: every bucket is full again
  limiter.take('carol');
  expect(limiter.size).toBe(1);
  // A bucket that is not full yet stays, with what it had.
  now += 1_500;
  for (let i = 0; i < 20; i++) limiter.take('dave');
  now += 500; // the next sweep
  limiter.take('erin');
  expect(limiter.size).toBe(2); // dave and erin
  for (let i = 0; i < 5; i++) limiter.take('dave');
  expect(refusal(() => limiter.take('dave')).retryAfter).toBe(0.1);
});

test('the social limit: so many at once, then so many a minute, saying so; 0 turns it off', () => {
  const limiter = socialRateLimiter(20, clock);
  for (let i = 0; i < 20; i++) limiter.take('alice');
  const refused = refusal(() => limiter.take('alice'));
  expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 3 });
  expect(refused.message).toBe('too many friend requests, rooms and invitations: at most 20 at once, then 20 a minute; try again in 3 s');
  now += 3_000;
  limiter.take('alice');
  const off = socialRateLimiter(0, clock);
  for (let i = 0; i < 1000; i++) off.take('alice');
});
