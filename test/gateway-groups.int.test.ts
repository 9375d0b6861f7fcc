import type { App } from '../src/app';
import { startTestApp, testConfig, uniquePrefix } from './support';

test('each gateway reads replies and messages in consumer groups of its own, removed when it stops', async () => {
  const prefix = uniquePrefix('groups');
  const first = await startTestApp(testConfig(prefix), ['gateway']);
  let second: App | null = await startTestApp(testConfig(prefix), ['gateway']);
  try {
    const groupsOf = async () =>
      (await first.admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(`${prefix}.`));
    const running = await groupsOf();
    // Two gateways: two reply groups and two live-message groups, none shared.
    expect(running.filter((id) => id.startsWith(`${prefix}.replies.gateway.`))).toHaveLength(2);
    expect(running.filter((id) => id.startsWith(`${prefix}.messages.gateway.`))).toHaveLength(2);

    await second.stop();
    second = null;
    const afterStop = await groupsOf();
    expect(afterStop.filter((id) => id.startsWith(`${prefix}.replies.gateway.`))).toHaveLength(1);
    expect(afterStop.filter((id) => id.startsWith(`${prefix}.messages.gateway.`))).toHaveLength(1);
  } finally {
    await second?.stop();
    await first.stop();
  }
});
