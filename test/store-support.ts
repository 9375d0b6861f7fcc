import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Command } from '../src/contracts/commands';
import { RECORD_VERSION } from '../src/contracts/records';
import { openStore } from '../src/store/orm';
import { inTransaction } from '../src/store/transaction';
import { handle } from '../src/worker/handlers';

/**
 * The store of one test file, opened before its tests and closed after them:
 * commands run through load → decide → apply in a transaction of their own,
 * as a worker runs them, without Kafka.
 */
export function storeForThisFile() {
  let orm: MikroORM | null = null;
  beforeAll(async () => {
    orm = await openStore(process.env.DATABASE_URL!);
  });
  afterAll(async () => {
    await orm?.close();
  });
  const store = {
    get orm(): MikroORM {
      if (!orm) throw new Error('the store opens in beforeAll');
      return orm;
    },
    run: (cmd: Command) => inTransaction(store.orm, (tx, now) => handle(tx, cmd, now)),
  };
  return store;
}

/** A command as a gateway would produce it, with a fresh id and a deadline 30 s ahead. */
export const command = (type: Command['type'], actorId: string | null, payload: unknown) =>
  ({ v: RECORD_VERSION, id: randomUUID(), type, actorId, deadline: Date.now() + 30_000, payload }) as Command;
