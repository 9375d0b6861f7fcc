import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Client } from 'pg';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/**
 * How long to wait for PostgreSQL before calling it unreachable. Without these
 * bounds a request waits 60 s for the pool (knex's default) and forever for a
 * connect that gets no answer, instead of failing fast with SERVICE_UNAVAILABLE.
 */
export const STORE_CONNECT_TIMEOUT_MS = 3000;

/**
 * Session bounds on the store's connections, so that a process frozen (a
 * SIGSTOP, a VM paused) or a peer lost inside a transaction cannot hold row
 * locks, and so every write, for longer than a few seconds:
 *
 * - idle_in_transaction_session_timeout: the server ends a session that sits
 *   in an open transaction without sending a statement, freeing its locks.
 *   Half the worker's Kafka session timeout (10 s): a frozen worker's locks
 *   are gone before its partitions are even handed to another worker. The
 *   worker sends a chunk's statements back to back, so it never idles that long.
 * - lock_timeout: a statement waiting for a row lock fails (55P03, a retriable
 *   conflict) instead of waiting; the worker retries it, heartbeating between
 *   attempts, so it stays in its group while the holder is ended.
 * - statement_timeout: no statement holds a worker away from its heartbeats
 *   for as long as its session timeout (57014, retriable too).
 * - TCP keepalive: a peer that vanished (host down, cable cut) is noticed by
 *   the kernel, not only when a statement times out.
 */
export const STORE_SESSION_LIMITS = {
  idle_in_transaction_session_timeout: 5000,
  lock_timeout: 3000,
  statement_timeout: 5000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 5000,
} as const;

/** `sessionLimits: false` for migrations only: building an index on a large table may take longer than a statement may. */
export function ormOptions(databaseUrl: string, { sessionLimits = true } = {}): Options {
  return {
    clientUrl: databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, silent: true },
    discovery: { warnWhenNoEntities: true },
    // knex takes the smaller of pool.acquireTimeoutMillis and its acquireConnectionTimeout (default 60 s).
    pool: { min: 0, max: 10, acquireTimeoutMillis: STORE_CONNECT_TIMEOUT_MS },
    // Handed to knex, whose `connection` reaches pg's Client: bounds a connect to a host that does not answer.
    driverOptions: {
      connection: { connectionTimeoutMillis: STORE_CONNECT_TIMEOUT_MS, ...(sessionLimits ? STORE_SESSION_LIMITS : {}) },
    },
    // Reads are served per request from a fresh fork; nothing should use the global context.
    allowGlobalContext: false,
    debug: false,
  };
}

/** Any number 0..2^31; only has to be the same in every process of this service. */
const MIGRATION_LOCK_ID = 727_001;

/**
 * Applies pending migrations. Gateways and workers start at the same time, so
 * the run is serialized with a PostgreSQL advisory lock.
 */
export async function migrate(orm: MikroORM, databaseUrl: string): Promise<void> {
  const lock = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: STORE_CONNECT_TIMEOUT_MS });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await orm.getMigrator().up();
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.end();
  }
}

/** Migrates with a store of its own, without the session limits, then opens the bounded store that serves. */
export async function openStore(databaseUrl: string): Promise<MikroORM> {
  const migrating = await MikroORM.init(ormOptions(databaseUrl, { sessionLimits: false }));
  try {
    await migrate(migrating, databaseUrl);
  } finally {
    await migrating.close();
  }
  return MikroORM.init(ormOptions(databaseUrl));
}
