import { randomUUID } from 'node:crypto';
import type { Command } from '../src/contracts/commands';
import { UserError } from '../src/errors';
import { inTransaction } from '../src/store/transaction';
import { handle } from '../src/worker/handlers';
import { command, storeForThisFile } from './store-support';
import { waitFor } from './support';

// Blocks and the per-user bounds through load → decide → apply against real PostgreSQL, without Kafka.
// AddFriend (keyed by A) and BlockUser (keyed by B) run on different partitions, maybe different workers:
// here two transactions at once through the store, as two workers would run them.
const store = storeForThisFile();
const { run } = store;

async function newUser(name: string): Promise<string> {
  const userId = randomUUID();
  await run(command('SignUp', null, { userId, username: `${name}_${userId.slice(0, 8)}`, passwordHash: 'x', displayName: name, email: null }));
  return userId;
}

async function friendshipRows(a: string, b: string): Promise<number> {
  const rows = await store.orm.em.fork().execute('select 1 from friendships where (user_id = ? and friend_id = ?) or (user_id = ? and friend_id = ?)', [a, b, b, a]);
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
  const firstDone = inTransaction(store.orm, async (tx, now) => {
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
    const [row] = await store.orm.em.fork().execute('select count(*)::int as n from pg_stat_activity where ? = any(pg_blocking_pids(pid))', [firstPid]);
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

// The per-user bounds, as the store loads them: filled with plain inserts, then the command through load → decide.
async function fillRooms(userId: string, n: number): Promise<void> {
  const em = store.orm.em.fork();
  await em.execute(
    `with r as (insert into rooms (id, name, created_at, last_seq, last_activity_at)
       select gen_random_uuid(), 'filler', now(), 0, now() from generate_series(1, ?) returning id)
     insert into room_members (room_id, user_id, last_read_seq, joined_at) select id, ?, 0, now() from r`,
    [n, userId],
  );
}

test('a user in the most rooms allowed (500) cannot be put in another, by createRoom or inviteToRoom; one fewer can', async () => {
  const [alice, bob, carol] = [await newUser('alice'), await newUser('bob'), await newUser('carol')];
  await run(command('AddFriend', alice, { friendId: bob }));
  await run(command('AddFriend', alice, { friendId: carol }));
  await fillRooms(bob, 500);
  await fillRooms(carol, 499);
  expect(await run(command('CreateRoom', alice, { roomId: randomUUID(), name: 'r', memberIds: [bob] }))).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: `user ${bob} is in 500 rooms, the most allowed`,
  });
  const roomId = randomUUID();
  await run(command('CreateRoom', alice, { roomId, name: 'r', memberIds: [carol] }));
  expect(await run(command('InviteToRoom', alice, { roomId, userIds: [bob] }))).toMatchObject({ code: 'BAD_USER_INPUT' });
  // Carol is now at 500 herself.
  expect(await run(command('CreateRoom', alice, { roomId: randomUUID(), name: 'r', memberIds: [carol] }))).toMatchObject({ code: 'BAD_USER_INPUT' });
});

test('friends and bookmarks are counted by the store: at 1,000 the next is refused', async () => {
  const [alice, bob] = [await newUser('alice'), await newUser('bob')];
  const em = store.orm.em.fork();
  // 1,000 friends for Bob, users made for it.
  await em.execute(
    `with u as (insert into users (id, username, password_hash, display_name, created_at)
       select gen_random_uuid(), 'f_' || substr(md5(random()::text), 1, 20), 'x', 'f', now() from generate_series(1, 1000) returning id)
     insert into friendships (user_id, friend_id, created_at) select ?, id, now() from u`,
    [bob],
  );
  expect(await run(command('AddFriend', alice, { friendId: bob }))).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'this user has 1000 friends, the most allowed',
  });
  // 1,000 bookmarks for Alice, in a room of hers.
  const roomId = randomUUID();
  await run(command('CreateRoom', alice, { roomId, name: 'r', memberIds: [] }));
  await em.execute(
    `with m as (insert into messages (id, room_id, seq, kind, body, created_at)
       select gen_random_uuid(), ?, s, 'TEXT', 'x', now() from generate_series(1, 1001) s returning id, seq)
     insert into bookmarks (user_id, message_id, created_at) select ?, id, now() from m where seq <= 1000`,
    [roomId, alice],
  );
  const [last] = await em.execute('select id from messages where room_id = ? and seq = 1001', [roomId]);
  expect(await run(command('Bookmark', alice, { messageId: last.id, bookmarked: true }))).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'you have 1000 bookmarks, the most allowed; remove one first',
  });
});
