import type { KafkaCluster } from '../src/dev/kafka';
import { dropDatabase, type Database } from '../src/dev/postgres';

export default async function globalTeardown(): Promise<void> {
  const { __kafka: kafka, __db: db } = globalThis as { __kafka?: KafkaCluster; __db?: Database };
  if (db) {
    await dropDatabase(db.url);
    await db.stop();
  }
  await kafka?.stop();
}
