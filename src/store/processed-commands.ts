import type { MikroORM } from '@mikro-orm/postgresql';
import { classified } from './errors';
import { iso } from './rows';
import { placeholders, type Tx } from './transaction';

/**
 * What an applied command sent, as the exact record values: its reply, and
 * its events as one JSON array. Kept so a redelivered command re-emits the
 * same without applying it again; the values are the strings produced to
 * Kafka, so each is serialized once.
 */
export interface ProcessedCommand {
  reply: string;
  events: string;
}

/**
 * The first query of the worker's transaction: the transaction's time
 * (PostgreSQL's now(), what its commands record as their time) and the
 * stored outcomes of `ids`, in one round trip.
 */
export async function loadProcessed(tx: Tx, ids: string[]): Promise<{ now: string; processed: Map<string, ProcessedCommand> }> {
  const rows = await tx.execute(
    `select now() as now, p.id, p.reply, p.events from (select 1) one
     left join processed_commands p on p.id in (${placeholders(ids.length)})`,
    ids,
  );
  const processed = new Map(rows.filter((row) => row.id !== null).map((row) => [String(row.id), { reply: String(row.reply), events: String(row.events) }]));
  return { now: iso(rows[0].now), processed };
}

export async function saveProcessed(tx: Tx, processed: Map<string, ProcessedCommand>): Promise<void> {
  if (processed.size === 0) return;
  await tx.execute(
    `insert into processed_commands (id, reply, events, processed_at) values ${[...processed].map(() => '(?, ?, ?, now())').join(', ')}`,
    [...processed].flatMap(([id, p]) => [id, p.reply, p.events]),
  );
}

/**
 * Removes up to `limit` outcomes older than `keepMs`; returns how many. Past
 * its deadline a command is dropped unapplied, so once the command's lifetime
 * (and a margin for clocks and late redeliveries) has passed, nothing reads them.
 */
export async function sweepProcessed(orm: MikroORM, keepMs: number, limit: number): Promise<number> {
  const rows = await classified(orm.em.fork().execute(
    `delete from processed_commands where id in
       (select id from processed_commands where processed_at < now() - ? * interval '1 millisecond' limit ? for update skip locked)
     returning 1`,
    [keepMs, limit],
  ));
  return rows.length;
}
