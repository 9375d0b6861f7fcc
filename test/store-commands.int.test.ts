import { randomUUID } from 'node:crypto';
import { UserError } from '../src/errors';
import { StoreRejectedError } from '../src/store/errors';
import { command, storeForThisFile } from './store-support';

// load → decide → apply against real PostgreSQL, without Kafka: what the store guarantees under concurrency.
const store = storeForThisFile();
const { run } = store;

async function aliceInARoom(): Promise<{ aliceId: string; roomId: string }> {
  const aliceId = randomUUID();
  const roomId = randomUUID();
  await run(command('SignUp', null, { userId: aliceId, username: `a_${aliceId.slice(0, 8)}`, passwordHash: 'x', displayName: 'Alice', email: null }));
  await run(command('CreateRoom', aliceId, { roomId, name: 'r', memberIds: [] }));
  return { aliceId, roomId };
}

test('two transactions sending to one room at once (two workers overlapping) number their messages 1 and 2', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const send = (body: string) => run(command('SendChat', aliceId, { roomId, body, clientMessageId: null, attachment: null }));
  const decisions = await Promise.all([send('one'), send('two')]);
  const seqs = decisions.map((d) => (d as { result: { message: { seq: number } } }).result.message.seq);
  expect(seqs.sort()).toEqual([1, 2]);
  const rows = await store.orm.em.fork().execute('select seq from messages where room_id = ? order by seq', [roomId]);
  expect(rows).toEqual([{ seq: 1 }, { seq: 2 }]);
  const [room] = await store.orm.em.fork().execute('select last_seq from rooms where id = ?', [roomId]);
  expect(room.last_seq).toBe(2);
});

test('what a decision returns is what the store holds: the message, its time and its id', async () => {
  const { aliceId, roomId } = await aliceInARoom();
  const decision = await run(command('SendChat', aliceId, { roomId, body: 'hi', clientMessageId: 'c-1', attachment: null }));
  const { message } = (decision as { result: { message: { id: string; createdAt: string } } }).result;
  const [row] = await store.orm.em.fork().execute('select id, created_at from messages where room_id = ?', [roomId]);
  expect({ id: row.id, createdAt: new Date(row.created_at).toISOString() }).toEqual({ id: message.id, createdAt: message.createdAt });
  // A resend with the same clientMessageId is answered with the first, and writes nothing.
  const again = await run(command('SendChat', aliceId, { roomId, body: 'hi', clientMessageId: 'c-1', attachment: null }));
  expect(again).toMatchObject({ result: { message: { id: message.id } }, events: [], writes: null });
});

test('a refusal writes nothing; data PostgreSQL refuses comes out as a StoreRejectedError, not retriable', async () => {
  const { roomId } = await aliceInARoom();
  const stranger = randomUUID();
  expect(await run(command('SendChat', stranger, { roomId, body: 'x', clientMessageId: null, attachment: null }))).toBeInstanceOf(UserError);
  expect(await store.orm.em.fork().execute('select 1 from messages where room_id = ?', [roomId])).toEqual([]);
  const { aliceId } = await aliceInARoom();
  const nul = run(command('UpdateStatus', aliceId, { statusMessage: 'nul \u0000' }));
  await expect(nul).rejects.toBeInstanceOf(StoreRejectedError);
  await expect(nul).rejects.toMatchObject({ retriable: false, code: '08P01' });
});
