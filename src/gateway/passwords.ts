import { availableParallelism } from 'node:os';
import { hash, verify, type Options as Argon2Options } from '@node-rs/argon2';
import { ServiceUnavailableError } from '../errors';

/** argon2id (the package's `Algorithm.Argon2id`, a const enum that transpile-only builds cannot read) at OWASP's minimum cost. */
const ARGON2: Argon2Options = { algorithm: 2 as Argon2Options['algorithm'], memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Password hashing with a bound. One argon2 costs about 80 ms of a core here;
 * unbounded, 1,000 sign-ups at once held both cores for 81 s, and every other
 * request waited behind them. At most `concurrency` hashes run (half the
 * cores, so the other half keeps serving token checks and reads) and at most
 * `maxWaiting` wait; past that the request is refused at once, retriable.
 */
export class Passwords {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency = Math.max(1, Math.floor(availableParallelism() / 2)),
    readonly maxWaiting = 32,
  ) {}

  /** Whether a sign-up or login now would be refused as BUSY. */
  get full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.maxWaiting;
  }

  /** What a sign-up or login gets while the queue is full. */
  busy(): ServiceUnavailableError {
    return new ServiceUnavailableError('too many sign-ups and logins at once; try again in a few seconds', { reason: 'BUSY' });
  }

  hash(password: string): Promise<string> {
    return this.bounded(() => hash(password, ARGON2));
  }

  /** Verified even for unknown users (against a hash of nothing), so the answer's time does not tell names apart. */
  matches(storedHash: string | null, password: string): Promise<boolean> {
    return this.bounded(async () => {
      const ok = await verify(storedHash ?? (await unknownUserHash()), password).catch(() => false);
      return ok && storedHash !== null;
    });
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) this.running++;
    else if (this.waiting.length >= this.maxWaiting) throw this.busy();
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

let unknownUser: Promise<string> | undefined;
const unknownUserHash = () => (unknownUser ??= hash('no user has this password', ARGON2));
