import type { ServiceProcess } from '../../src/dev/processes';
import { PRESENCE_EXPIRY_MS } from '../../src/live/presence';
import { Live, MY_EVENTS, closeAllLive } from '../live-client';
import { befriend, gqlOk, signUp, uniquePrefix, waitFor } from '../support';
import { startProcess } from './harness';

// Presence when a gateway dies without saying so: kill -9 on the gateway that holds Bob's socket. Its
// heartbeats stop, and Alice, on the other gateway, must see Bob go offline within the README's 30 s.
const PROMISED_BOUND_MS = 30_000;
let worker: ServiceProcess;
let aliceGateway: ServiceProcess;
let bobGateway: ServiceProcess;

beforeAll(async () => {
  // The fault suite's processes: its JWT secret, and the per-address and per-user limits off (one client address).
  const env = { KAFKA_BROKERS: process.env.KAFKA_BROKERS!, DATABASE_URL: process.env.DATABASE_URL!, KAFKA_TOPIC_PREFIX: uniquePrefix('presence-fault') };
  worker = await startProcess('worker', env);
  [aliceGateway, bobGateway] = await Promise.all([startProcess('gateway', env), startProcess('gateway', env)]);
}, 120_000);

afterAll(async () => {
  await closeAllLive();
  await Promise.all([aliceGateway?.stop(), bobGateway?.stop()]);
  await worker?.stop();
});

test('a gateway killed with kill -9 takes its users offline for their friends on other gateways within 30 s', async () => {
  const alice = await signUp(aliceGateway.url, 'alice');
  const bob = await signUp(aliceGateway.url, 'bob');
  await befriend(aliceGateway.url, alice, bob);
  const aliceLive = new Live(aliceGateway.url, alice.token).subscribe(MY_EVENTS, 'myEvents');
  const presence = () => aliceLive.of('PresenceChanged').map((e) => e.user);

  const bobLive = new Live(bobGateway.url, bob.token).subscribe(MY_EVENTS, 'myEvents');
  await waitFor('Alice sees Bob online', () => presence().some((u) => u.online));

  await bobGateway.crash();
  const killedAt = Date.now();
  await waitFor('Bob dropped by his dead gateway', () => bobLive.closed);
  await waitFor('Alice sees Bob offline', () => presence().some((u) => !u.online), PROMISED_BOUND_MS + 5_000);
  const offlineAfterMs = Date.now() - killedAt;
  process.stderr.write(`[presence] offline ${offlineAfterMs} ms after kill -9 (expiry ${PRESENCE_EXPIRY_MS} ms)\n`);
  expect(offlineAfterMs).toBeLessThan(PROMISED_BOUND_MS);
  expect(presence()).toEqual([
    { id: bob.id, online: true, lastSeenAt: null },
    expect.objectContaining({ id: bob.id, online: false }),
  ]);

  // lastSeenAt is written by a gateway that is still alive, and reads agree with the stream.
  const seen = await waitFor('lastSeenAt stored', async () => {
    const { user } = await gqlOk(aliceGateway.url, 'query($id: ID!) { user(id: $id) { online lastSeenAt } }', { id: bob.id }, alice.token);
    return user.lastSeenAt !== null && user;
  });
  expect(seen.online).toBe(false);
  expect(Date.parse(seen.lastSeenAt)).toBeGreaterThanOrEqual(killedAt - PRESENCE_EXPIRY_MS);
}, 120_000);
