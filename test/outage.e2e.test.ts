import type { App } from '../src/app';
import { Worker } from '../src/worker/worker';
import { createLogger } from '../src/log';
import { SEND_CHAT, gql, gqlOk, roomOfTwo, startTestApp, testConfig, uniquePrefix, waitFor } from './support';

const prefix = uniquePrefix('outage');
// A short bound keeps the test quick; the behaviour is the same at the default 5 s.
const config = testConfig(prefix, { COMMAND_TIMEOUT_MS: '1500' });
let app: App;

const HISTORY = 'query($id: ID!) { messages(roomId: $id, first: 100) { edges { node { body clientMessageId seq } } } }';

/** True once the worker group's committed offsets reach the end of every partition. */
async function commandsAllRead(topic: string): Promise<boolean> {
  const [ends, [committed]] = await Promise.all([
    app.admin.fetchTopicOffsets(topic),
    app.admin.fetchOffsets({ groupId: `${topic}.worker`, topics: [topic] }),
  ]);
  // An empty partition has nothing to commit (its committed offset stays -1).
  return ends.every(
    ({ partition, high }) => high === '0' || committed.partitions.find((p) => p.partition === partition)?.offset === high,
  );
}

beforeAll(async () => {
  app = await startTestApp(config, ['worker', 'gateway']);
});

afterAll(async () => {
  await app?.stop();
});

test('sendChat while the worker is stopped: SERVICE_UNAVAILABLE in time, then a retry leaves exactly one message', async () => {
  const url = app.gateway!.url;
  const { alice, bob, roomId } = await roomOfTwo(url);

  await app.worker!.stop();
  const input = { roomId, body: 'are you there?', clientMessageId: 'retry-me-1' };
  const started = Date.now();
  const failed = await gql(url, SEND_CHAT, { input }, alice.token);
  const waited = Date.now() - started;
  expect(failed.errors?.[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', outcome: 'UNKNOWN' });
  expect(failed.errors?.[0].extensions?.commandId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
  expect(failed.errors?.[0].message).toMatch(/unknown/i);
  expect(waited).toBeGreaterThanOrEqual(config.commandTimeoutMs - 50);
  expect(waited).toBeLessThan(config.commandTimeoutMs + 3000);

  // The worker comes back and reads the expired command: it drops it rather than apply it late.
  const worker = new Worker(app.kafka, app.orm, config, createLogger('test-worker', true));
  await worker.start();
  try {
    await waitFor('the worker to read every queued command', () => commandsAllRead(config.topics.commands));
    const afterOutage = await gqlOk(url, HISTORY, { id: roomId }, bob.token);
    expect(afterOutage.messages.edges).toEqual([]);

    // The client's retry with the same clientMessageId is applied, once.
    const retried = await gqlOk(url, SEND_CHAT, { input }, alice.token);
    const again = await gqlOk(url, SEND_CHAT, { input }, alice.token);
    expect(again.sendChat.id).toBe(retried.sendChat.id);
    const history = await gqlOk(url, HISTORY, { id: roomId }, bob.token);
    expect(history.messages.edges).toEqual([{ node: { body: 'are you there?', clientMessageId: 'retry-me-1', seq: 1 } }]);
  } finally {
    await worker.stop();
  }
});
