import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Client } from 'pg';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

export function ormOptions(databaseUrl: string): Options {
  return {
    clientUrl: databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, silent: true },
    discovery: { warnWhenNoEntities: true },
    pool: { min: 0, max: 10 },
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
  const lock = new Client({ connectionString: databaseUrl });
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
