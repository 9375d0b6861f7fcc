import { MIGRATIONS } from '../migrations';
import { dropDatabase, ensureDatabase } from '../src/dev/postgres';
import { openStore } from '../src/store/orm';

test('the migrations build exactly the schema the entities describe, and run once however many start together', async () => {
  const url = await ensureDatabase(process.env.DATABASE_URL!, `chat_store_${process.pid}`);
  // Gateways and workers start at the same time: migrations must not race.
  const orms = await Promise.all([openStore(url), openStore(url), openStore(url)]);
  try {
    const diff = await orms[0].getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
    const applied = await orms[0].em.fork().execute('select name from mikro_orm_migrations');
    expect(applied.map((row) => row.name)).toEqual(MIGRATIONS.map((m) => m.name));
  } finally {
    await Promise.all(orms.map((orm) => orm.close()));
    await dropDatabase(url);
  }
});
