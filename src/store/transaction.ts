import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { classified } from './errors';
import { iso } from './rows';

/** The transaction the worker applies a chunk of commands in; store functions take it first. */
export type Tx = EntityManager;

/** Runs `work` in one transaction, committed when it returns; driver errors come out classified (./errors). */
export function inTransaction<T>(orm: MikroORM, work: (tx: Tx, now: string) => Promise<T>): Promise<T> {
  return inPlainTransaction(orm, async (tx) => {
    // The transaction's time (PostgreSQL's now()): what the commands of this transaction record as their time.
    const [{ now }] = await tx.execute('select now() as now');
    return work(tx, iso(now));
  });
}

/** Like inTransaction, for work that reads the transaction's time itself (with its first query, saving a round trip). */
export function inPlainTransaction<T>(orm: MikroORM, work: (tx: Tx) => Promise<T>): Promise<T> {
  return classified(orm.em.fork().transactional(work));
}

export const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
