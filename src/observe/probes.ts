import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Admin } from 'kafkajs';
import type { Logger } from '../log';
import { ping } from '../store/reads';
import type { Metrics } from './metrics';

/** Each dependency must answer within this, so a probe answers in about a second whatever is down. */
export const READINESS_TIMEOUT_MS = 1000;

/** PostgreSQL, Kafka, or `consumer:<name>` for a consumer of this process that is not in its group. */
export type Failing = 'postgres' | 'kafka' | `consumer:${string}`;

export const PROBE_PATHS = ['/healthz', '/readyz', '/metrics'] as const;
export type ProbePath = (typeof PROBE_PATHS)[number];

export interface ProbeAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The answers of /healthz, /readyz and /metrics, for the gateway's HTTP
 * server and for a worker's own (METRICS_PORT) alike.
 */
export class Probes {
  constructor(
    private readonly orm: MikroORM,
    private readonly admin: Admin,
    private readonly metrics: Metrics,
  ) {}

  async answer(path: ProbePath): Promise<ProbeAnswer> {
    switch (path) {
      // Liveness: the process serves HTTP. It does not look at dependencies, so an outage of one gets nothing restarted.
      case '/healthz':
        return json(200, { status: 'ok' });
      case '/readyz': {
        const consumers = this.metrics.consumers();
        const failing = await this.failing(consumers);
        return failing.length === 0
          ? json(200, { status: 'ready', consumers })
          : json(503, { status: 'unavailable', failing, consumers });
      }
      case '/metrics': {
        const { contentType, body } = await this.metrics.exposition();
        return { status: 200, contentType, body };
      }
    }
  }

  /**
   * What this process cannot do now (empty: ready). PostgreSQL and Kafka are
   * asked for a real round trip, a `select 1` and a metadata request, since a
   * pool or a client can look connected to a server that is gone; consumers
   * must be in their groups, or replies and live messages do not arrive.
   */
  private async failing(consumers: Record<string, string>): Promise<Failing[]> {
    const [postgres, kafka] = await Promise.all([
      answersWithin(READINESS_TIMEOUT_MS, () => ping(this.orm.em.fork())),
      answersWithin(READINESS_TIMEOUT_MS, () => this.admin.describeCluster()),
    ]);
    const failing: Failing[] = [];
    if (!postgres) failing.push('postgres');
    if (!kafka) failing.push('kafka');
    for (const [name, state] of Object.entries(consumers)) if (state !== 'joined') failing.push(`consumer:${name}`);
    return failing;
  }
}

function json(status: number, body: unknown): ProbeAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

/** True when `call` succeeds within `ms`; a late answer is ignored, a failure is false. */
async function answersWithin(ms: number, call: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      call().then(
        () => true,
        () => false,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ProbeServer {
  /** http://127.0.0.1:<port>, the probe paths below it. */
  url: string;
  stop(): Promise<void>;
}

/** A process without a gateway (a worker) serves the probes on a port of their own: a plain node:http server. */
export async function serveProbes(port: number, probes: Probes, log: Logger): Promise<ProbeServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' || !(PROBE_PATHS as readonly string[]).includes(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    probes.answer(path as ProbePath).then(
      (answer) => res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body),
      (err: unknown) => {
        log.error('probe failed', { path, err: (err as Error).message });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  log.info('probes listening', { url, paths: PROBE_PATHS });
  return {
    url,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
