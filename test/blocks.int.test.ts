import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Command } from '../src/contracts/commands';
import { RECORD_VERSION } from '../src/contracts/records';
import { UserError } from '../src/errors';
import { openStore } from '../src/store/orm';
import { inTransaction } from '../src/store/transaction';
import { handle } from '../src/worker/handlers';
import { waitFor } from './support';

// AddFriend (keyed by A) and BlockUser (keyed by B) run on different partitions, maybe different workers:
// two transactions at once through the store, as two workers would run them, against real PostgreSQL.
let orm: MikroORM;

beforeAll(async () => {
  orm = await openStore(process.env.DATABASE_URL!);
});

afterAll(async () => {
  await orm?.close();
});

const command = (type: Command['type'], actorId: string | null, payload: unknown) =>
  ({ v: RECORD_VERSION, id: randomUUID(), type, actorId, deadline: Date.now() + 30_000, payload }) as Command;

const run = (cmd: Command) => inTransaction(orm, (tx, now) => handle(tx, cmd, now));

async function newUser(name: string): Promise<string> {
  const userId = randomUUID();
  await run(command('SignUp', null, { userId, username: `${name}_${userId.slice(0, 8)}`, passwordHash: 'x', displayName: name, email: null }));
  return userId;
}

async function friendshipRows(a: string, b: string): Promise<number> {
  const rows = await orm.em.fork().execute('select 1 from friendships where (user_id = ? and friend_id = ?) or (user_id = ? and friend_id = ?)', [a, b, b, a]);
  return rows.length;
}

/**
 * Runs `first` in a transaction that stays open until `second` (started
 * meanwhile in a transaction of its own) either waits for one of its locks or
 * has finished; then lets `first` commit. Returns both outcomes.
 */
async function overlapping(first: Command, second: Command) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let firstPid = 0;
  const firstDone = inTransaction(orm, async (tx, now) => {
    const decision = await handle(tx, first, now);
    [{ pid: firstPid }] = await tx.execute('select pg_backend_pid() as pid');
    await released;
    return decision;
  });
  await waitFor('the first transaction to have applied its command', () => firstPid !== 0);
  let secondFinished = false;
  const secondDone = run(second).finally(() => (secondFinished = true));
  const waited = await waitFor('the second transaction to wait for the first, or to finish', async () => {
    if (secondFinished) return 'finished';
    const [row] = await orm.em.fork().execute('select count(*)::int as n from pg_stat_activity where ? = any(pg_blocking_pids(pid))', [firstPid]);
    return row.n > 0 ? 'waited' : null;
  });
  release();
  return { waited, first: await firstDone, second: await secondDone };
}

test('a friendship asked for while a block is being applied waits for it, then is refused: FORBIDDEN, and none is written', async () => {
  const [alice, bob] = [await newUser('alice'), await newUser('bob')];
  const outcome = await overlapping(command('BlockUser', bob, { userId: alice }), command('AddFriend', alice, { friendId: bob }));
  expect(outcome.waited).toBe('waited');
  expect(outcome.first).toMatchObject({ result: { userId: alice } });
  expect(outcome.second).toBeInstanceOf(UserError);
  expect(outcome.second).toMatchObject({ code: 'FORBIDDEN', message: 'you cannot befriend this user' });
  expect(await friendshipRows(alice, bob)).toBe(0);
});

test('a block applied while a friendship is being written waits for it, then ends it', async () => {
  const [alice, bob] = [await newUser('alice'), await newUser('bob')];
  const outcome = await overlapping(command('AddFriend', alice, { friendId: bob }), command('BlockUser', bob, { userId: alice }));
  expect(outcome.waited).toBe('waited');
  expect(outcome.first).toMatchObject({ writes: { userId: alice, friendId: bob } });
  expect(outcome.second).toMatchObject({ result: { userId: alice } });
  expect(await friendshipRows(alice, bob)).toBe(0);
});

test('many at once, in both orders: no friendship ever survives a block', async () => {
  const pairs = await Promise.all(Array.from({ length: 10 }, async () => [await newUser('a'), await newUser('b')] as const));
  await Promise.all(
    pairs.flatMap(([a, b], i) => {
      const befriend = run(command('AddFriend', a, { friendId: b }));
      const block = run(command('BlockUser', b, { userId: a }));
      return i % 2 ? [befriend, block] : [block, befriend];
    }),
  );
  for (const [a, b] of pairs) expect(await friendshipRows(a, b)).toBe(0);
});

test('blocking ends a friendship both ways; the blocked one cannot befriend the blocker, nor the blocker them until unblocked', async () => {
  const [alice, bob] = [await newUser('alice'), await newUser('bob')];
  await run(command('AddFriend', alice, { friendId: bob }));
  expect(await friendshipRows(alice, bob)).toBe(2);
  await run(command('BlockUser', bob, { userId: alice }));
  expect(await friendshipRows(alice, bob)).toBe(0);
  // Blocking twice changes nothing.
  expect(await run(command('BlockUser', bob, { userId: alice }))).toMatchObject({ writes: null });
  expect(await run(command('AddFriend', alice, { friendId: bob }))).toMatchObject({ code: 'FORBIDDEN' });
  expect(await run(command('AddFriend', bob, { friendId: alice }))).toMatchObject({ code: 'FORBIDDEN' });
  await run(command('UnblockUser', bob, { userId: alice }));
  expect(await run(command('AddFriend', alice, { friendId: bob }))).toMatchObject({ writes: { friendId: bob } });
  expect(await friendshipRows(alice, bob)).toBe(2);
});
