import type { MikroORM } from '@mikro-orm/postgresql';
import type { Admin } from 'kafkajs';

/** Each dependency must answer within this, so a probe answers in about a second whatever is down. */
export const READINESS_TIMEOUT_MS = 1000;

export type Dependency = 'postgres' | 'kafka';

/**
 * Which dependencies this gateway cannot reach now (empty: ready). Asks each
 * for a real round trip, PostgreSQL a `select 1` and Kafka a metadata request,
 * since a pool or a client can look connected to a server that is gone.
 */
export async function failingDependencies(orm: MikroORM, admin: Admin): Promise<Dependency[]> {
  const [postgres, kafka] = await Promise.all([
    answersWithin(READINESS_TIMEOUT_MS, () => orm.em.fork().execute('select 1')),
    answersWithin(READINESS_TIMEOUT_MS, () => admin.describeCluster()),
  ]);
  const failing: Dependency[] = [];
  if (!postgres) failing.push('postgres');
  if (!kafka) failing.push('kafka');
  return failing;
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
