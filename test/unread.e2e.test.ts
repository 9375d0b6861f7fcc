import { Client } from 'pg';
import WebSocket from 'ws';
import { roomOfTwo, serviceForThisFile, waitFor } from './support';

// A client that stops reading (a frozen tab, a dead network) must not hold a gateway's buffers for ever:
// its socket is closed with 1013, which graphql-ws clients answer by reconnecting and resubscribing.
const service = serviceForThisFile('unread', 1, { WS_UNREAD_TIMEOUT_SECONDS: '1' });
const url = () => service.urls[0];

test('a subscriber that stops reading a long replay is closed with 1013 (Try Again Later)', async () => {
  const { alice, roomId } = await roomOfTwo(url());
  // 3,000 stored messages of 4,000 characters (12 MB): more than the loopback's socket buffers hold.
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query(
      `insert into messages (id, room_id, seq, kind, body, sender_id, created_at)
       select gen_random_uuid(), $1, s, 'TEXT', repeat('x', 4000), $2, now() from generate_series(1, 3000) s`,
      [roomId, alice.id],
    );
    await db.query('update rooms set last_seq = 3000 where id = $1', [roomId]);
  } finally {
    await db.end();
  }

  const socket = new WebSocket(url().replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  let received = 0;
  let reading = true;
  socket.on('message', (data) => {
    received++;
    const message = JSON.parse(String(data)) as { type: string };
    if (message.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription($r: ID!) { roomMessages(roomId: $r, afterSeq: 0) { seq body } }', variables: { r: roomId } } }));
    } else if (message.type === 'next' && reading) {
      // The first message arrived: from now on this client reads nothing more.
      reading = false;
      (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    }
  });
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${alice.token}` } }));

  let code: number | undefined;
  void closed.then((c) => (code = c));
  // The pause stops the client's reads, not its view of the close: resume once the server has given up, to see it.
  await waitFor('the gateway to give up on the socket', () => service.gateways[0].gateway!.openSockets === 0, 30_000);
  (socket as unknown as { _socket: { resume(): void } })._socket.resume();
  await waitFor('the close frame', () => code !== undefined, 10_000);
  expect(code).toBe(1013);
  expect(received).toBeLessThan(3000);
});
