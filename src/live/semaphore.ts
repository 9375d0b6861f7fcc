/**
 * At most `limit` tasks at once; the rest wait their turn in order, at most
 * `waitMs` each and at most `queueMax` of them, else they are refused with
 * `refuse()` without running. (p-limit, installed only as a dependency of
 * other packages, bounds neither the wait nor the queue.)
 */
export class Semaphore {
  private running = 0;
  /** Waiters in arrival order (a Set keeps it, and drops a timed-out one in O(1)). */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly limit: number,
    private readonly waitMs: number,
    private readonly queueMax: number,
    private readonly refuse: () => Error,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Tasks running now, and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.size };
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.size >= this.queueMax || this.waitMs === 0) return Promise.reject(this.refuse());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(granted);
        reject(this.refuse());
      }, this.waitMs);
      const granted = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiting.add(granted);
    });
  }

  /** Hands the slot to the longest waiter, if any. */
  private release(): void {
    const [next] = this.waiting;
    if (next) {
      this.waiting.delete(next);
      next();
    } else this.running--;
  }
}
