/**
 * A real Apache Kafka broker for development and tests, without Docker.
 *
 * Kafka 3.9.1 jars come from Maven Central once (via src/dev/kafka/pom.xml)
 * into a per-user cache; each startKafka() call then runs combined KRaft
 * broker/controller JVMs on 127.0.0.1 with data in a fresh temp dir.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

export interface KafkaCluster {
  brokers: string[];
  /** stops the processes this call started and deletes their data dirs */
  stop(): Promise<void>;
}

/** A cluster this process started: fault tests can kill one of its nodes outright. */
export interface StartedKafka extends KafkaCluster {
  /** SIGKILLs the node with this id (its broker id: 1, 2, 3), as a crash would. */
  killNode(nodeId: number): Promise<void>;
  /** SIGSTOPs the node: it hangs without dying, its sockets stay open (a grey failure, as a long GC pause or a stalled VM). */
  pauseNode(nodeId: number): void;
  /** SIGCONTs a paused node. */
  resumeNode(nodeId: number): void;
  /** The id of the active KRaft controller as a running node last recorded it (its quorum-state file), or null. */
  controllerId(): number | null;
}

export interface StartKafkaOptions {
  nodes?: 1 | 3;
  /** first broker port; 0 = pick free ports */
  port?: number;
  log?: (line: string) => void;
}

const KAFKA_VERSION = '3.9.1';
const KAFKA_JAR = `kafka_2.13-${KAFKA_VERSION}.jar`;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

const INSTALL_HINT =
  'Install Java and Maven (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless maven`), ' +
  'or set KAFKA_BROKERS to an existing broker (e.g. KAFKA_BROKERS=127.0.0.1:9092), ' +
  'or run `docker compose up`.';

/** Directory holding pom.xml and log4j.properties; found by walking up so it works from src/ (jest) and dist/src/ (build). */
function kafkaResourceDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'src', 'dev', 'kafka');
    if (fs.existsSync(path.join(candidate, 'pom.xml'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`src/dev/kafka/pom.xml not found above ${__dirname}`);
  }
}

function cacheDir(): string {
  return process.env.KAFKA_CACHE_DIR || path.join(os.homedir(), '.cache', 'kafka-chat', `kafka-${KAFKA_VERSION}`);
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; missing: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      resolve({ ok: !err, missing, output });
    });
  });
}

async function checkJava(): Promise<void> {
  const java = await run('java', ['-version'], 30_000);
  if (java.missing || !java.ok) throw new Error(`Kafka for dev/tests needs Java (17 recommended, 11+), but \`java -version\` failed. ${INSTALL_HINT}`);
  // `version "17.0.15"` or the old `version "1.8.0_392"` style
  const m = /version "(?:1\.)?(\d+)/.exec(java.output);
  if (m && Number(m[1]) < 11) throw new Error(`Kafka ${KAFKA_VERSION} needs Java 11+, found: ${java.output.split('\n')[0]}. ${INSTALL_HINT}`);
}

/** Returns the libs dir, fetching the jars once. Safe against concurrent callers: each fetches into its own temp dir and renames it into place atomically. */
async function ensureKafkaJars(log: (line: string) => void): Promise<string> {
  const cache = cacheDir();
  const libs = path.join(cache, 'libs');
  if (fs.existsSync(path.join(libs, KAFKA_JAR))) return libs;

  const mvn = await run('mvn', ['-v'], 60_000);
  if (mvn.missing || !mvn.ok) throw new Error(`Fetching Kafka ${KAFKA_VERSION} needs Maven, but \`mvn -v\` failed. ${INSTALL_HINT}`);

  log(`fetching Apache Kafka ${KAFKA_VERSION} from Maven Central (once, into ${cache}) ...`);
  const started = Date.now();
  fs.mkdirSync(cache, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cache, 'libs.tmp-'));
  // Maven runs quietly (about 46 MB, 20 s on a good line): show it is alive, so a slow network does not look like a hang.
  const ticker = setInterval(() => log(`  ... still fetching (${((Date.now() - started) / 1000).toFixed(0)} s)`), 5_000);
  try {
    const pom = path.join(kafkaResourceDir(), 'pom.xml');
    const res = await run(
      'mvn',
      ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`],
      10 * 60_000,
    );
    if (!res.ok || !fs.existsSync(path.join(tmp, KAFKA_JAR))) {
      throw new Error(`fetching Kafka ${KAFKA_VERSION} with Maven failed:\n${tail(res.output, 40)}`);
    }
    try {
      fs.renameSync(tmp, libs);
    } catch (err) {
      // Another process won the race; its libs dir is complete because it was renamed in whole.
      if (!fs.existsSync(path.join(libs, KAFKA_JAR))) throw err;
    }
  } finally {
    clearInterval(ticker);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`fetched Kafka ${KAFKA_VERSION} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return libs;
}

/** Distinct free ports: hold all listeners open until every port is known, so none repeats. */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints), saving one JVM start. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka avoids ids that look like a CLI flag
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function readTail(file: string, lines: number): string {
  try {
    return tail(fs.readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}

interface NodeSpec {
  id: number;
  port: number;
  controllerPort: number;
  dir: string;
}

function serverProperties(node: NodeSpec, voters: string, nodes: number): string {
  const rf = nodes === 3 ? 3 : 1;
  return [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${path.join(node.dir, 'data')}`,
    // Topics are created by the app with explicit partition counts, never implicitly.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${nodes === 3 ? 2 : 1}`,
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=10', // fewer partitions = faster first consumer-group join
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${nodes === 3 ? 2 : 1}`,
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0', // tests should not wait 3 s for each group join
    // Small segments keep per-run disk use low.
    'log.segment.bytes=16777216',
    'log.retention.check.interval.ms=60000',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

// JVMs still running; killed synchronously if Node exits without calling stop(), so no orphans remain.
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dir] of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }
}

/** Cluster id and number of live brokers (0 while no controller is known), or undefined when nothing answers (yet). */
async function describeBrokers(brokers: string[], timeoutMs: number): Promise<{ clusterId: string; count: number } | undefined> {
  const kafka = new Kafka({
    clientId: 'kafka-chat-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    const probe = (async () => {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const count = cluster.controller === null || cluster.controller < 0 ? 0 : cluster.brokers.length;
      return { clusterId: cluster.clusterId, count };
    })().catch(() => undefined);
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Fetches Kafka 3.9.1 jars from Maven Central once into the cache (env KAFKA_CACHE_DIR, default ~/.cache/kafka-chat/kafka-3.9.1), formats KRaft storage in a fresh temp dir, starts combined broker/controller node(s) on 127.0.0.1 only, waits (bounded, ~60 s, clear error with the tail of the broker log) until the cluster serves metadata via a kafkajs admin client (for 3 nodes: all brokers registered). */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<StartedKafka> {
  const nodes = opts.nodes ?? 1;
  const log = opts.log ?? (() => undefined);
  await checkJava();
  const libs = await ensureKafkaJars(log);
  const classpath = path.join(libs, '*');
  const log4j = `file:${path.join(kafkaResourceDir(), 'log4j.properties')}`;

  // Broker ports first, then controller ports: with port 9092 and 1 node that is 9092 + 9093.
  const ports = opts.port ? Array.from({ length: 2 * nodes }, (_, i) => opts.port! + i) : await freePorts(2 * nodes);
  if (opts.port) {
    // Fail clearly now rather than with a bind error buried in the broker log.
    const busy = (await Promise.all(ports.map(async (p) => ((await portFree(p)) ? undefined : p)))).filter((p) => p !== undefined);
    if (busy.length) throw new Error(`cannot start Kafka: port(s) ${busy.join(', ')} on 127.0.0.1 already in use`);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chat-'));
  const specs: NodeSpec[] = Array.from({ length: nodes }, (_, i) => ({
    id: i + 1,
    port: ports[i],
    controllerPort: ports[nodes + i],
    dir: path.join(root, `node-${i + 1}`),
  }));
  const voters = specs.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  const brokers = specs.map((n) => `127.0.0.1:${n.port}`);
  const id = clusterId();
  const heap = nodes === 3 ? '-Xmx384m' : '-Xmx512m';
  const children: ChildProcess[] = [];

  const stop = async (): Promise<void> => {
    // A paused JVM would not see SIGTERM until resumed.
    for (const child of children) child.kill('SIGCONT');
    await Promise.all(children.map(stopProcess));
    for (const child of children) running.delete(child);
    fs.rmSync(root, { recursive: true, force: true });
  };

  try {
    log(`starting Kafka ${KAFKA_VERSION} (${nodes} node${nodes > 1 ? 's' : ''}) on ${brokers.join(',')}, data in ${root}`);
    const started = Date.now();
    installExitHook();

    // Format all nodes in parallel: each is a short JVM run.
    await Promise.all(
      specs.map(async (node) => {
        fs.mkdirSync(node.dir, { recursive: true });
        const props = path.join(node.dir, 'server.properties');
        fs.writeFileSync(props, serverProperties(node, voters, nodes));
        const res = await run(
          'java',
          [`-Dlog4j.configuration=${log4j}`, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props, '--ignore-formatted'],
          60_000,
        );
        if (!res.ok) throw new Error(`formatting Kafka storage for node ${node.id} failed:\n${tail(res.output, 30)}`);
      }),
    );

    for (const node of specs) {
      const logFile = path.join(node.dir, 'broker.log');
      const fd = fs.openSync(logFile, 'a');
      const child = spawn(
        'java',
        [heap, '-Xms128m', '-XX:+UseSerialGC', `-Dlog4j.configuration=${log4j}`, '-cp', classpath, 'kafka.Kafka', path.join(node.dir, 'server.properties')],
        // Its own process group: Ctrl-C reaches only Node, which stops the service first, then the broker.
        { stdio: ['ignore', fd, fd], detached: true },
      );
      fs.closeSync(fd); // the child has its own copy
      child.on('error', () => undefined); // spawn failures show up as a dead child below
      child.unref(); // a forgotten stop() must not keep Node alive; the exit hook then kills the JVM
      children.push(child);
      running.set(child, root);
    }

    // Poll until every broker is registered, failing fast if a JVM dies (e.g. port in use).
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const dead = children.findIndex((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead >= 0) {
        const logFile = path.join(specs[dead].dir, 'broker.log');
        throw new Error(`Kafka node ${specs[dead].id} exited (code ${children[dead].exitCode}) during startup (its data dir is removed). Tail of its broker.log:\n${readTail(logFile, 40)}`);
      }
      // Ask each broker itself, so none is still catching up on the metadata log;
      // the cluster id proves it is our broker, not another one on the same port.
      const answers = await Promise.all(brokers.map((b) => describeBrokers([b], 2_000)));
      if (answers.every((a) => a !== undefined && a.clusterId === id && a.count >= nodes)) break;
      if (Date.now() > deadline) {
        const logFile = path.join(specs[0].dir, 'broker.log');
        throw new Error(`Kafka did not serve metadata for ${nodes} broker(s) within ${START_TIMEOUT_MS / 1000} s (data dir removed). Tail of node 1's broker.log:\n${readTail(logFile, 40)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    log(`Kafka ready on ${brokers.join(',')} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const nodeChild = (nodeId: number): ChildProcess => {
      const child = children[specs.findIndex((n) => n.id === nodeId)];
      if (!child) throw new Error(`no Kafka node ${nodeId}`);
      return child;
    };
    const killNode = async (nodeId: number): Promise<void> => {
      const child = nodeChild(nodeId);
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    };
    const controllerId = (): number | null => {
      // Each voter keeps the leader it knows of the metadata quorum in this file; the highest epoch is the newest.
      let best: { leaderId: number; leaderEpoch: number } | null = null;
      for (const node of specs) {
        try {
          const state = JSON.parse(fs.readFileSync(path.join(node.dir, 'data', '__cluster_metadata-0', 'quorum-state'), 'utf8'));
          if (typeof state.leaderId === 'number' && state.leaderId >= 0 && (!best || state.leaderEpoch > best.leaderEpoch)) best = state;
        } catch {
          /* not written yet, or being replaced */
        }
      }
      return best?.leaderId ?? null;
    };
    return {
      brokers,
      stop,
      killNode,
      pauseNode: (nodeId) => void nodeChild(nodeId).kill('SIGSTOP'),
      resumeNode: (nodeId) => void nodeChild(nodeId).kill('SIGCONT'),
      controllerId,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** true when a Kafka broker answers metadata at this address within a short timeout (~3 s) */
export async function kafkaAnswers(broker: string): Promise<boolean> {
  return (await describeBrokers([broker], 3_000)) !== undefined;
}

/** dev entry: if something answers on 127.0.0.1:9092 use it (stop = no-op), else startKafka({port: 9092}) */
export async function ensureLocalKafka(log: (line: string) => void): Promise<KafkaCluster> {
  const broker = '127.0.0.1:9092';
  if (await kafkaAnswers(broker)) {
    log(`using the Kafka broker already running on ${broker}`);
    return { brokers: [broker], stop: async () => undefined };
  }
  return startKafka({ port: 9092, log });
}
