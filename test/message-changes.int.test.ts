import { randomUUID } from 'node:crypto';
import type { MessageRecord } from '../src/contracts/records';
import { inTransaction } from '../src/store/transaction';
import { handle } from '../src/worker/handlers';
import { command, storeForThisFile } from './store-support';

// load → decide → apply against real PostgreSQL, without Kafka: changes of one message from transactions that overlap (two workers during a rebalance).
const store = storeForThisFile();
const { run } = store;

const signUp = async () => {
  const id = randomUUID();
  await run(command('SignUp', null, { userId: id, username: `u_${id.slice(0, 8)}`, passwordHash: 'x', displayName: 'U', email: null }));
  return id;
};
/** A room of `members`, without friendships: its rows written directly, as these tests are about the message row. */
const roomOf = async (members: string[]) => {
  const roomId = randomUUID();
  const em = store.orm.em.fork();
  await em.execute(`insert into rooms (id, name, created_at, last_seq, last_activity_at) values (?, 'r', now(), 0, now())`, [roomId]);
  for (const id of members) await em.execute(`insert into room_members (room_id, user_id, last_read_seq, joined_at) values (?, ?, 0, now())`, [roomId, id]);
  return roomId;
};
const messageOf = (decision: unknown) => (decision as { result: { message: MessageRecord } }).result.message;

test('20 overlapping transactions reacting to one message lose no reaction: count 20, version 21', async () => {
  const users = await Promise.all(Array.from({ length: 20 }, signUp));
  const roomId = await roomOf(users);
  const sent = messageOf(await run(command('SendChat', users[0], { roomId, body: 'hi', clientMessageId: null, attachment: null })));
  const decisions = await Promise.all(users.map((id) => run(command('AddReaction', id, { roomId, messageId: sent.id, emoji: '🎉' }))));
  expect(decisions.map((d) => messageOf(d).version).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  const [row] = await store.orm.em.fork().execute('select version, (select count(*)::int from message_reactions where message_id = m.id) as n from messages m where id = ?', [sent.id]);
  expect(row).toEqual({ version: 21, n: 20 });
});

test("a change's message is read by a statement PostgreSQL plans once per connection, and each read finds its own message", async () => {
  const [alice, bob] = await Promise.all([signUp(), signUp()]);
  const roomId = await roomOf([alice, bob]);
  const sent: MessageRecord[] = [];
  for (const body of ['one', 'two', 'three']) sent.push(messageOf(await run(command('SendChat', alice, { roomId, body, clientMessageId: null, attachment: null }))));
  // One transaction is one connection: its prepared statements are the ones these commands used.
  const plans = await inTransaction(store.orm, async (tx, now) => {
    for (let i = 0; i < 9; i++) {
      const target = sent[i % 3];
      const changed = messageOf(await handle(tx, command(i % 2 ? 'RemoveReaction' : 'AddReaction', bob, { roomId, messageId: target.id, emoji: '👍' }), now));
      expect(changed).toMatchObject({ id: target.id, body: target.body, sender: { id: alice } });
    }
    return tx.execute(`select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements where name = 'load-message-change'`);
  });
  // PostgreSQL plans the first five runs for their values, then settles on one plan for all.
  expect(plans).toEqual([{ generic: expect.any(Number), custom: 5 }]);
  expect(plans[0].generic).toBeGreaterThan(0);
});
