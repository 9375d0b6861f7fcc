import { randomUUID } from 'node:crypto';
import type { MessageRecord } from '../src/contracts/records';
import { command, storeForThisFile } from './store-support';

// load → decide → apply against real PostgreSQL, without Kafka: changes of one message from transactions that overlap (two workers during a rebalance).
const store = storeForThisFile();
const { run } = store;

const signUp = async () => {
  const id = randomUUID();
  await run(command('SignUp', null, { userId: id, username: `u_${id.slice(0, 8)}`, passwordHash: 'x', displayName: 'U', email: null }));
  return id;
};
const messageOf = (decision: unknown) => (decision as { result: { message: MessageRecord } }).result.message;

test('20 overlapping transactions reacting to one message lose no reaction: count 20, version 21', async () => {
  const users = await Promise.all(Array.from({ length: 20 }, signUp));
  const roomId = randomUUID();
  // Membership without friendships: the rooms table and members written directly, as the test is about the message row.
  const em = store.orm.em.fork();
  await em.execute(`insert into rooms (id, name, created_at, last_seq, last_activity_at) values (?, 'r', now(), 0, now())`, [roomId]);
  for (const id of users) await em.execute(`insert into room_members (room_id, user_id, last_read_seq, joined_at) values (?, ?, 0, now())`, [roomId, id]);
  const sent = messageOf(await run(command('SendChat', users[0], { roomId, body: 'hi', clientMessageId: null, attachment: null })));
  const decisions = await Promise.all(users.map((id) => run(command('AddReaction', id, { roomId, messageId: sent.id, emoji: '🎉' }))));
  expect(decisions.map((d) => messageOf(d).version).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  const [row] = await em.execute('select version, (select count(*)::int from message_reactions where message_id = m.id) as n from messages m where id = ?', [sent.id]);
  expect(row).toEqual({ version: 21, n: 20 });
});
