import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { classified } from './errors';
import { iso, type Row } from './rows';

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

/**
 * `sql` (with `?` placeholders) run in `tx` as a named prepared statement:
 * PostgreSQL parses it once per connection and, after a few runs, stops
 * planning it. For hot statements that take longer to plan than to run (a
 * message read with its reactions, reply and readers: 0.2 ms of planning for
 * 0.1 ms of work). `em.execute` cannot: MikroORM inlines the values into the
 * text, so every call is a new statement. One `name` per `sql`, always.
 */
export async function executePrepared(tx: Tx, name: string, sql: string, params: unknown[]): Promise<Row[]> {
  const result = (await tx
    .getConnection()
    .getKnex()
    .raw(sql, params as never[])
    .options({ name })
    .transacting(tx.getTransactionContext()!)) as { rows: Row[] };
  return result.rows;
}

export const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
