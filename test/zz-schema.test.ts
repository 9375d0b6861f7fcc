import { openStore } from '../src/store/orm';
import { ensureDatabase, dropDatabase } from '../src/dev/postgres';
test('diff', async () => {
  const url = await ensureDatabase(process.env.DATABASE_URL!, `chat_diff_${process.pid}`);
  const orm = await openStore(url);
  console.log(await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false }));
  await orm.close();
  await dropDatabase(url);
});
