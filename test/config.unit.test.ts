import { ConfigError, loadConfig } from '../src/config';

test('defaults outside production, with a warning for the development secret', () => {
  const warnings: string[] = [];
  const config = loadConfig({}, (w) => warnings.push(w));
  expect(config).toMatchObject({
    production: false,
    port: 4000,
    kafkaBrokers: ['127.0.0.1:9092'],
    topics: { commands: 'chat.commands', messages: 'chat.messages', replies: 'chat.replies', deadLetter: 'chat.dead-letter' },
  });
  expect(warnings).toEqual([expect.stringMatching(/JWT_SECRET/)]);
});

test('production lists every problem at once', () => {
  let error: unknown;
  try {
    loadConfig({ NODE_ENV: 'production', PORT: 'eighty', KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.join('\n');
  for (const name of ['PORT', 'KAFKA_BROKERS', 'DATABASE_URL', 'JWT_SECRET', 'KAFKA_MIN_INSYNC_REPLICAS']) {
    expect(problems).toContain(name);
  }
});

test('a short secret and malformed brokers are refused', () => {
  const load = () => loadConfig({ JWT_SECRET: 'short', KAFKA_BROKERS: 'no-port' });
  expect(load).toThrow(/JWT_SECRET must be at least 32 characters/);
  expect(load).toThrow(/"no-port" is not host:port/);
});
