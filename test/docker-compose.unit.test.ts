/**
 * docker-compose.yml cannot be run on every machine (no Docker engine here), so
 * this file checks what can be checked without one: that the services wait for
 * each other, that the addresses the app is given are the ones the services
 * really serve, and that the app reads every variable it is given.
 *
 * Each check collects readable problems and compares them with [], so a
 * failure lists what is wrong in words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_ENV_VARS, loadConfig } from '../src/config';

const ROOT = join(__dirname, '..');
const APP_SERVICES = ['gateway', 'worker'] as const;
const KAFKA_NODES = ['kafka-1', 'kafka-2', 'kafka-3'] as const;
const INFRA_SERVICES = [...KAFKA_NODES, 'postgres'] as const;

interface Service {
  image?: string;
  hostname?: string;
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | number | { target?: number | string; published?: number | string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test?: string | string[]; disable?: boolean };
}

// merge: true resolves the `<<: *app-environment` merge keys as Compose does.
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services?: Record<string, Service>;
};
const services: Record<string, Service> = compose.services ?? {};

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/**
 * What `docker compose up` sees with an empty shell and no .env file.
 * A `${VAR:?message}` (required) variable is treated as supplied by the operator.
 */
function interpolate(value: string, where: string): string {
  const hostEnv: Record<string, string | undefined> = {};
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, colon: string, op: string | undefined, arg: string, bare: string | undefined) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const current = hostEnv[name];
      const isSet = colon ? current !== undefined && current !== '' : current !== undefined;
      switch (op) {
        case '-':
          return isSet ? (current as string) : arg;
        case '+':
          return isSet ? arg : '';
        case '?':
          // Required from the operator: stand in a value that any sane check accepts.
          return isSet ? (current as string) : `operator-supplied-${name}-for-${where}`.padEnd(48, '-');
        default:
          return current ?? '';
      }
    },
  );
}

/** A service's environment as name → value (interpolated); `null` values pass the host's value through. */
function environmentOf(name: string): Record<string, string | undefined> {
  const raw = service(name).environment ?? {};
  const env: Record<string, string | undefined> = {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      if (eq < 0) env[entry] = undefined;
      else env[entry.slice(0, eq)] = interpolate(entry.slice(eq + 1), name);
    }
  } else {
    for (const [key, value] of Object.entries(raw)) {
      env[key] = value === null || value === undefined ? undefined : interpolate(String(value), name);
    }
  }
  return env;
}

/** "NAME://host:port,NAME2://host2:port2" → [{ name, host, port }]; an empty host means all interfaces. */
function parseListeners(value: string | undefined): Array<{ name: string; host: string; port: number }> {
  if (!value) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^([A-Za-z0-9_-]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry);
      if (!match) throw new Error(`cannot read Kafka listener "${entry}"`);
      return { name: match[1], host: match[2], port: Number(match[3]) };
    });
}

/**
 * Compose port entries → { published, target }: published is the host port
 * range, one port per replica (undefined when Docker picks one).
 */
function parsePorts(svc: Service): Array<{ published?: { from: number; to: number }; target: number; text: string }> {
  const range = (value: string | number | undefined) => {
    if (value === undefined) return undefined;
    const [from, to = from] = String(value).split('-').map(Number);
    return { from, to };
  };
  return (svc.ports ?? []).map((entry) => {
    if (typeof entry === 'object') {
      return { published: range(entry.published), target: Number(entry.target), text: JSON.stringify(entry) };
    }
    // [ip:][published:]target[/protocol]; an IPv6 ip is bracketed.
    const text = String(entry);
    const parts = text.replace(/\/(tcp|udp|sctp)$/, '').replace(/^\[[^\]]*\]:/, '').split(':');
    const target = Number(parts[parts.length - 1]);
    const published = parts.length >= 2 ? range(parts[parts.length - 2]) : undefined;
    return { published, target, text };
  });
}

function healthcheckCommand(svc: Service): string {
  const test = svc.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

describe('docker-compose.yml', () => {
  it('defines the services kafka-1..3, postgres, gateway and worker', () => {
    const missing = [...INFRA_SERVICES, ...APP_SERVICES].filter((name) => !(name in services));
    expect({ missingServices: missing }).toEqual({ missingServices: [] });
  });

  it('gives every service a healthcheck', () => {
    const problems: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      const check = svc.healthcheck;
      const test = check?.test;
      if (!check || check.disable) {
        problems.push(`service "${name}" has no healthcheck`);
      } else if (!test || test.length === 0 || (Array.isArray(test) && test[0] === 'NONE')) {
        problems.push(`service "${name}" has a healthcheck without a test command`);
      } else if (Array.isArray(test) && !['CMD', 'CMD-SHELL'].includes(test[0])) {
        problems.push(`service "${name}": healthcheck test list must start with CMD or CMD-SHELL, got "${test[0]}"`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(APP_SERVICES)('starts %s only once kafka and postgres are healthy', (name) => {
    const dependsOn = service(name).depends_on;
    const problems: string[] = [];
    for (const dependency of INFRA_SERVICES) {
      if (Array.isArray(dependsOn) || dependsOn === undefined) {
        problems.push(
          `${name}.depends_on must be the long form with "${dependency}: { condition: service_healthy }"; ` +
            'the short list form only waits for the container to start',
        );
        break;
      }
      const condition = dependsOn[dependency]?.condition;
      if (!(dependency in dependsOn)) problems.push(`${name} does not depend on ${dependency}`);
      else if (condition !== 'service_healthy') {
        problems.push(
          `${name}.depends_on.${dependency}.condition is "${condition ?? 'service_started (default)'}", ` +
            'expected "service_healthy" so the app does not start before the service answers',
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs gateway and worker with their role as the command', () => {
    const commands = Object.fromEntries(APP_SERVICES.map((name) => [name, service(name).command]));
    expect(commands).toEqual({ gateway: ['gateway'], worker: ['worker'] });
  });

  it.each(APP_SERVICES)('runs two %s replicas', (name) => {
    expect({ [`${name} replicas`]: service(name).deploy?.replicas }).toEqual({ [`${name} replicas`]: 2 });
  });

  it("publishes the gateway's PORT on a host port range that starts there and fits every replica", () => {
    const port = environmentOf('gateway').PORT;
    expect({ gatewayPortIsSet: port !== undefined && port !== '' }).toEqual({ gatewayPortIsSet: true });
    const ports = parsePorts(service('gateway'));
    const mapping = ports.find((p) => p.target === Number(port));
    const replicas = service('gateway').deploy?.replicas ?? 1;
    const problems: string[] = [];
    if (!mapping) {
      problems.push(
        `gateway listens on PORT=${port} but publishes only [${ports.map((p) => p.text).join(', ')}]: ` +
          `no mapping targets container port ${port}`,
      );
    } else if (!mapping.published || mapping.published.from !== Number(port)) {
      problems.push(`gateway maps container port ${port} to host ports ${mapping.text}, expected a range starting at ${port}`);
    } else if (mapping.published.to - mapping.published.from + 1 < replicas) {
      problems.push(`gateway has ${replicas} replicas but its host port range ${mapping.text} has fewer ports`);
    }
    expect(problems).toEqual([]);
  });

  it('forms one KRaft quorum of the three Kafka nodes', () => {
    const problems: string[] = [];
    const envs = KAFKA_NODES.map((name) => ({ name, env: environmentOf(name) }));
    const same = (key: string) => new Set(envs.map(({ env }) => env[key])).size === 1;
    for (const key of ['CLUSTER_ID', 'KAFKA_CONTROLLER_QUORUM_VOTERS', 'KAFKA_PROCESS_ROLES']) {
      if (!same(key)) problems.push(`the Kafka nodes disagree on ${key}`);
    }
    const ids = envs.map(({ env }) => env.KAFKA_NODE_ID);
    if (new Set(ids).size !== ids.length) problems.push(`KAFKA_NODE_ID values are not unique: ${ids.join(', ')}`);
    const voters = (envs[0].env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '').split(',').map((v) => v.trim());
    if (voters.length !== KAFKA_NODES.length) problems.push(`the quorum has ${voters.length} voters, expected ${KAFKA_NODES.length}`);
    for (const voter of voters) {
      const match = /^(\d+)@([^:]+):(\d+)$/.exec(voter);
      if (!match) {
        problems.push(`quorum voter "${voter}" is not id@host:port`);
        continue;
      }
      const [, id, host, port] = match;
      const node = envs.find(({ name }) => name === host || service(name).hostname === host);
      if (!node) {
        problems.push(`quorum voter ${voter} names host "${host}", which is no Kafka service`);
        continue;
      }
      if (node.env.KAFKA_NODE_ID !== id) problems.push(`quorum voter ${voter}: ${node.name} has KAFKA_NODE_ID ${node.env.KAFKA_NODE_ID}`);
      const controllerNames = (node.env.KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(',');
      const controller = parseListeners(node.env.KAFKA_LISTENERS).find((l) => controllerNames.includes(l.name));
      if (controller?.port !== Number(port)) {
        problems.push(`quorum voter ${voter}: ${node.name} listens for controllers on ${controller?.port ?? 'no port'}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('replicates every topic, internal ones too, so that one broker can be down', () => {
    const problems: string[] = [];
    for (const name of KAFKA_NODES) {
      const env = environmentOf(name);
      const rf = Number(env.KAFKA_DEFAULT_REPLICATION_FACTOR);
      const minIsr = Number(env.KAFKA_MIN_INSYNC_REPLICAS);
      if (rf !== 3 || minIsr !== 2) problems.push(`${name}: default replication ${rf} / min ISR ${minIsr}, expected 3 / 2`);
      if (Number(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR) !== 3) problems.push(`${name}: offsets topic is not replicated 3 times`);
    }
    for (const name of APP_SERVICES) {
      const env = environmentOf(name);
      if (env.KAFKA_REPLICATION_FACTOR !== '3' || env.KAFKA_MIN_INSYNC_REPLICAS !== '2') {
        problems.push(`${name}: creates topics with ${env.KAFKA_REPLICATION_FACTOR} replicas / min ISR ${env.KAFKA_MIN_INSYNC_REPLICAS}, expected 3 / 2`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("probes the gateway's /healthz on its PORT", () => {
    const port = environmentOf('gateway').PORT as string;
    const command = healthcheckCommand(service('gateway'));
    const problems: string[] = [];
    if (!command.includes('/healthz')) problems.push(`gateway healthcheck does not request /healthz: ${command}`);
    if (!command.includes(`:${port}/`) && !command.includes('process.env.PORT')) {
      problems.push(`gateway healthcheck uses neither port ${port} nor process.env.PORT: ${command}`);
    }
    expect(problems).toEqual([]);
  });

  it("probes the worker's /readyz on its METRICS_PORT", () => {
    const port = environmentOf('worker').METRICS_PORT;
    const command = healthcheckCommand(service('worker'));
    const problems: string[] = [];
    if (!port) problems.push('worker does not set METRICS_PORT, so it serves no /readyz');
    if (!command.includes('/readyz')) problems.push(`worker healthcheck does not request /readyz: ${command}`);
    if (!command.includes(`:${port}/`) && !command.includes('process.env.METRICS_PORT')) {
      problems.push(`worker healthcheck uses neither port ${port} nor process.env.METRICS_PORT: ${command}`);
    }
    expect(problems).toEqual([]);
  });

  it.each(APP_SERVICES)("points %s's KAFKA_BROKERS at a listener the kafka service advertises", (name) => {
    const brokers = (environmentOf(name).KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    const problems: string[] = [];
    if (brokers.length === 0) problems.push(`${name} does not set KAFKA_BROKERS`);
    for (const broker of brokers) {
      const match = /^([^:]+):(\d+)$/.exec(broker);
      if (!match) {
        problems.push(`${name}: KAFKA_BROKERS entry "${broker}" is not host:port`);
        continue;
      }
      const [, host, portText] = match;
      const port = Number(portText);
      const target = Object.entries(services).find(([svcName, svc]) => svcName === host || svc.hostname === host);
      if (!target) {
        problems.push(`${name}: KAFKA_BROKERS names host "${host}", which is no service in docker-compose.yml`);
        continue;
      }
      const kafkaEnv = environmentOf(target[0]);
      const advertised = parseListeners(kafkaEnv.KAFKA_ADVERTISED_LISTENERS);
      const listener = advertised.find((l) => l.host === host && l.port === port);
      if (!listener) {
        problems.push(
          `${name}: KAFKA_BROKERS has ${host}:${port}, but service "${target[0]}" advertises only ` +
            `"${kafkaEnv.KAFKA_ADVERTISED_LISTENERS ?? '(nothing)'}"; after bootstrap the client would be sent elsewhere`,
        );
        continue;
      }
      const bound = parseListeners(kafkaEnv.KAFKA_LISTENERS).find((l) => l.name === listener.name);
      if (!bound) {
        problems.push(`${name}: kafka advertises listener ${listener.name} but KAFKA_LISTENERS does not define it`);
      } else if (bound.port !== port) {
        problems.push(
          `${name}: kafka advertises ${listener.name} on port ${port} but binds it on port ${bound.port} inside the container`,
        );
      }
      const controllerNames = (kafkaEnv.KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(',').map((n) => n.trim());
      if (controllerNames.includes(listener.name)) {
        problems.push(`${name}: KAFKA_BROKERS points at the controller listener ${listener.name}, not a broker listener`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(APP_SERVICES)("points %s's DATABASE_URL at the postgres service with its credentials", (name) => {
    const raw = environmentOf(name).DATABASE_URL;
    const pg = environmentOf('postgres');
    const problems: string[] = [];
    if (!raw) {
      problems.push(`${name} does not set DATABASE_URL`);
    } else {
      const url = new URL(raw);
      // The postgres image's defaults when a variable is absent.
      const user = pg.POSTGRES_USER || 'postgres';
      const expected = {
        protocol: 'postgres: or postgresql:',
        host: 'postgres',
        port: '5432',
        user,
        password: pg.POSTGRES_PASSWORD,
        database: pg.POSTGRES_DB || user,
      };
      const actual = {
        protocol: ['postgres:', 'postgresql:'].includes(url.protocol) ? 'postgres: or postgresql:' : url.protocol,
        host: url.hostname,
        port: url.port || '5432',
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: decodeURIComponent(url.pathname.replace(/^\//, '')),
      };
      for (const key of Object.keys(expected) as Array<keyof typeof expected>) {
        if (actual[key] !== expected[key]) {
          problems.push(
            `${name}: DATABASE_URL ${key} is "${actual[key]}", but the postgres service expects "${expected[key]}"`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(APP_SERVICES)('sets on %s only variables that src/config.ts reads', (name) => {
    const known = new Set<string>(CONFIG_ENV_VARS);
    const unknown = Object.keys(environmentOf(name)).filter((key) => !known.has(key));
    expect({ [`${name}: variables the app never reads`]: unknown }).toEqual({
      [`${name}: variables the app never reads`]: [],
    });
  });

  it.each(APP_SERVICES)("gives %s an environment the app's own config accepts", (name) => {
    const env = Object.fromEntries(
      Object.entries(environmentOf(name)).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    let problems: string[] = [];
    try {
      const config = loadConfig(env, () => undefined);
      const brokerCount = Object.keys(services).filter((svcName) =>
        /broker/.test(environmentOf(svcName).KAFKA_PROCESS_ROLES ?? ''),
      ).length;
      if (config.replicationFactor > brokerCount) {
        problems.push(
          `${name}: KAFKA_REPLICATION_FACTOR=${config.replicationFactor} but docker-compose.yml runs ${brokerCount} ` +
            'Kafka broker(s): topic creation would fail',
        );
      }
    } catch (error) {
      const listed = (error as { problems?: unknown }).problems;
      problems = Array.isArray(listed) ? listed.map((p) => `${name}: ${String(p)}`) : [`${name}: ${String(error)}`];
    }
    expect(problems).toEqual([]);
  });
});

describe('Dockerfile', () => {
  /** Instructions with line continuations joined and comments dropped. */
  const instructions = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.search(/\s/);
      return {
        keyword: (space < 0 ? line : line.slice(0, space)).toUpperCase(),
        args: space < 0 ? '' : line.slice(space).trim(),
      };
    });
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  const finalStage = instructions.slice(lastFrom);

  it('has an ENTRYPOINT in its final stage that runs node dist/src/main.js', () => {
    const entrypoints = finalStage.filter((i) => i.keyword === 'ENTRYPOINT');
    expect({ finalStageHasEntrypoint: entrypoints.length > 0 }).toEqual({ finalStageHasEntrypoint: true });
    const { args } = entrypoints[entrypoints.length - 1];
    let argv: string[];
    try {
      argv = JSON.parse(args) as string[];
    } catch {
      // Shell form runs under /bin/sh -c, which swallows SIGTERM meant for node.
      throw new Error(`ENTRYPOINT must use the exec (JSON) form so node gets the stop signal, got: ${args}`);
    }
    expect(argv.slice(0, 2)).toEqual(['node', 'dist/src/main.js']);
  });

  it('copies the compiled dist folder into the final stage', () => {
    const copiesDist = finalStage.some((i) => i.keyword === 'COPY' && /(^|\s|\/)dist\/?(\s|$)/.test(i.args));
    expect({ finalStageCopiesDist: copiesDist }).toEqual({ finalStageCopiesDist: true });
  });
});
