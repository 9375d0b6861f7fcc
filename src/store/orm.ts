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

export function ormOptions(databaseUrl: string): Options {
  return {
    clientUrl: databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, silent: true },
    discovery: { warnWhenNoEntities: true },
    // knex takes the smaller of pool.acquireTimeoutMillis and its acquireConnectionTimeout (default 60 s).
    pool: { min: 0, max: 10, acquireTimeoutMillis: STORE_CONNECT_TIMEOUT_MS },
    // Handed to knex, whose `connection` reaches pg's Client: bounds a connect to a host that does not answer.
    driverOptions: { connection: { connectionTimeoutMillis: STORE_CONNECT_TIMEOUT_MS } },
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

export async function openStore(databaseUrl: string): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(databaseUrl));
  try {
    await migrate(orm, databaseUrl);
  } catch (err) {
    await orm.close();
    throw err;
  }
  return orm;
}
