import { Semaphore } from '../src/live/semaphore';

// The bound on subscriptions' database reads: at most so many at once, a bounded wait, a bounded queue.

/** A task that runs until the test ends it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, task: async () => opened };
}

const busy = () => new Error('busy');

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('runs at most `limit` at once; the next waits and runs, in order, when one ends', async () => {
  const sem = new Semaphore(2, 1000, 10, busy);
  const [a, b, c] = [gate(), gate(), gate()];
  const started: string[] = [];
  const run = (name: string, task: () => Promise<void>) => sem.run(() => (started.push(name), task()));
  const ra = run('a', a.task);
  const rb = run('b', b.task);
  const rc = run('c', c.task);
  const rd = run('d', async () => undefined);
  await Promise.resolve();
  expect(sem.load).toEqual({ running: 2, waiting: 2 });
  expect(started).toEqual(['a', 'b']);

  a.open();
  await ra;
  await Promise.resolve();
  expect(started).toEqual(['a', 'b', 'c']);
  expect(sem.load).toEqual({ running: 2, waiting: 1 });
  b.open();
  c.open();
  await Promise.all([rb, rc, rd]);
  expect(started).toEqual(['a', 'b', 'c', 'd']);
  expect(sem.load).toEqual({ running: 0, waiting: 0 });
});

test('a waiter is refused after waitMs, without running; the others keep their turn', async () => {
  const sem = new Semaphore(1, 500, 10, busy);
  const a = gate();
  const running = sem.run(a.task);
  let ran = false;
  const late = sem.run(async () => void (ran = true));
  jest.advanceTimersByTime(499);
  expect(sem.load.waiting).toBe(1);
  jest.advanceTimersByTime(1);
  await expect(late).rejects.toThrow('busy');
  expect(sem.load).toEqual({ running: 1, waiting: 0 });

  const next = sem.run(async () => 'next');
  a.open();
  await running;
  await expect(next).resolves.toBe('next');
  expect(ran).toBe(false);
  expect(sem.load).toEqual({ running: 0, waiting: 0 });
});

test('past queueMax waiters the next is refused at once; a failing task frees its slot', async () => {
  const sem = new Semaphore(1, 10_000, 2, busy);
  const a = gate();
  const running = sem.run(a.task);
  const waiting = [sem.run(async () => 1), sem.run(async () => 2)];
  await expect(sem.run(async () => 3)).rejects.toThrow('busy');
  a.open();
  await running;
  await expect(Promise.all(waiting)).resolves.toEqual([1, 2]);

  await expect(sem.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(sem.load).toEqual({ running: 0, waiting: 0 });
});
