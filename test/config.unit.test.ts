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

test('introspection: on in development, off in production unless GRAPHQL_INTROSPECTION=true', () => {
  const production = { NODE_ENV: 'production', KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://u@h:5432/chat', JWT_SECRET: 'q8Vd2LxT0mZr5NcB7wYk3HsJ9pGa4EuF' };
  expect(loadConfig({}, () => undefined).introspection).toBe(true);
  expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }, () => undefined).introspection).toBe(false);
  expect(loadConfig(production).introspection).toBe(false);
  expect(loadConfig({ ...production, GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true);
  expect(() => loadConfig({ ...production, GRAPHQL_INTROSPECTION: 'yes' })).toThrow(/GRAPHQL_INTROSPECTION must be "true" or "false", got "yes"/);
});

test('send rate: 10 a second in bursts of 20 by default; 0 a second turns it off; nonsense is refused', () => {
  const quiet = () => undefined;
  expect(loadConfig({}, quiet).sendRate).toEqual({ perSecond: 10, burst: 20 });
  expect(loadConfig({ SEND_RATE_PER_SECOND: '0', SEND_RATE_BURST: '5' }, quiet).sendRate).toEqual({ perSecond: 0, burst: 5 });
  const load = () => loadConfig({ SEND_RATE_PER_SECOND: '-1', SEND_RATE_BURST: '0' }, quiet);
  expect(load).toThrow(/SEND_RATE_PER_SECOND must be an integer from 0/);
  expect(load).toThrow(/SEND_RATE_BURST must be an integer from 1/);
});

test('social rate: 20 a minute by default; 0 turns it off; nonsense is refused', () => {
  const quiet = () => undefined;
  expect(loadConfig({}, quiet).socialRatePerMinute).toBe(20);
  expect(loadConfig({ SOCIAL_RATE_PER_MINUTE: '0' }, quiet).socialRatePerMinute).toBe(0);
  expect(() => loadConfig({ SOCIAL_RATE_PER_MINUTE: '-1' }, quiet)).toThrow(/SOCIAL_RATE_PER_MINUTE must be an integer from 0/);
});

test('LOG_LEVEL: info by default, one of debug, info, warn, error', () => {
  const quiet = () => undefined;
  expect(loadConfig({}, quiet).logLevel).toBe('info');
  expect(loadConfig({ LOG_LEVEL: 'debug' }, quiet).logLevel).toBe('debug');
  expect(() => loadConfig({ LOG_LEVEL: 'verbose' }, quiet)).toThrow(/LOG_LEVEL must be one of debug, info, warn, error, got "verbose"/);
});

test('METRICS_PORT: unset means no metrics server of its own; else a port', () => {
  const quiet = () => undefined;
  expect(loadConfig({}, quiet).metricsPort).toBeNull();
  expect(loadConfig({ METRICS_PORT: '9464' }, quiet).metricsPort).toBe(9464);
  expect(() => loadConfig({ METRICS_PORT: '70000' }, quiet)).toThrow(/METRICS_PORT must be an integer from 0 to 65535, got "70000"/);
});

test('NODE_ENV: unset is development; a value the service does not know is refused, not taken for development', () => {
  const quiet = () => undefined;
  expect(loadConfig({}, quiet).production).toBe(false);
  expect(loadConfig({ NODE_ENV: 'test' }, quiet).production).toBe(false);
  for (const mode of ['Production', 'prod', 'production ', 'staging']) {
    expect(() => loadConfig({ NODE_ENV: mode }, quiet)).toThrow(/NODE_ENV must be one of development, test, production/);
  }
});

test('production refuses a published or weak JWT_SECRET', () => {
  const production = { NODE_ENV: 'production', KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://u@h:5432/chat' };
  for (const secret of ['development-only-secret-do-not-use-in-production', 'compose-dev-only-jwt-secret-do-not-use-in-production']) {
    expect(() => loadConfig({ ...production, JWT_SECRET: secret })).toThrow(/published development secret/);
  }
  for (const secret of ['a'.repeat(32), '0123'.repeat(10)]) {
    expect(() => loadConfig({ ...production, JWT_SECRET: secret })).toThrow(/JWT_SECRET is too weak/);
  }
  expect(loadConfig({ ...production, JWT_SECRET: 'q8Vd2LxT0mZr5NcB7wYk3HsJ9pGa4EuF' }).jwtSecret).toBe('q8Vd2LxT0mZr5NcB7wYk3HsJ9pGa4EuF');
});

test('TRUST_PROXY and the sign-up and login limits: defaults, lists and nonsense', () => {
  const quiet = () => undefined;
  expect(loadConfig({}, quiet)).toMatchObject({
    trustProxy: [],
    authRate: { signUpsPerAddressPerHour: 20, loginsPerAddressPerMinute: 60, loginFailuresPerAccount: 10 },
  });
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }, quiet).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
  expect(() => loadConfig({ TRUST_PROXY: 'my-balancer' }, quiet)).toThrow(/TRUST_PROXY must list addresses/);
  expect(() => loadConfig({ LOGIN_FAILURES_PER_ACCOUNT: '-1' }, quiet)).toThrow(/LOGIN_FAILURES_PER_ACCOUNT must be an integer from 0/);
});

test('socket caps and the subscriptions’ share of the database pool: defaults, overrides, bounds', () => {
  const quiet = () => undefined;
  expect(loadConfig({}, quiet)).toMatchObject({ socketCaps: { perUser: 20, perAddress: 100 }, subscriptionReads: { concurrency: 4, waitMs: 10_000 } });
  expect(
    loadConfig({ WS_SOCKETS_PER_USER: '0', WS_SOCKETS_PER_ADDRESS: '1000', SUBSCRIPTION_SETUP_CONCURRENCY: '2', SUBSCRIPTION_SETUP_WAIT_MS: '0' }, quiet),
  ).toMatchObject({ socketCaps: { perUser: 0, perAddress: 1000 }, subscriptionReads: { concurrency: 2, waitMs: 0 } });
  // All 10 of the pool's connections would leave queries none.
  expect(() => loadConfig({ SUBSCRIPTION_SETUP_CONCURRENCY: '10' }, quiet)).toThrow(/SUBSCRIPTION_SETUP_CONCURRENCY must be an integer from 1 to 8, got "10"/);
  expect(() => loadConfig({ WS_SOCKETS_PER_USER: '-1' }, quiet)).toThrow(/WS_SOCKETS_PER_USER must be an integer/);
});
