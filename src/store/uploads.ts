import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { classified } from './errors';
import type { UploadView } from '../commands/messages';
import type { Tx } from './transaction';

/**
 * Uploaded files: their rows (`uploads`, who may send and read them) and,
 * behind FileStore, their bytes. The gateway writes both (bytes never go
 * through Kafka); the worker only checks and binds an upload to the message
 * that sends it, inside that command's transaction.
 */

/**
 * Where the bytes live. PostgresFileStore keeps them in `upload_chunks`, so
 * several gateways share them with no extra service; an S3-compatible store
 * would implement the same three calls (see README, "Uploads").
 */
export interface FileStore {
  /**
   * Stores `source` as the bytes of `uploadId`, reading it as it writes (never
   * the whole file in memory); returns how many bytes it stored. If `source`
   * throws, the error comes out and what was written is left for the caller's remove().
   */
  put(uploadId: string, source: AsyncIterable<Buffer>): Promise<number>;
  /** Bytes `start`..`end` (inclusive) of `uploadId`, read piece by piece as they are consumed. */
  get(uploadId: string, start: number, end: number): AsyncIterable<Buffer>;
  /** Removes the bytes of `uploadId` (nothing if there are none). */
  remove(uploadId: string): Promise<void>;
}

/** Rows of upload_chunks hold this much (the last one less): a read or write holds one in memory at a time. */
export const CHUNK_BYTES = 256 * 1024;

export class PostgresFileStore implements FileStore {
  constructor(private readonly orm: MikroORM) {}

  async put(uploadId: string, source: AsyncIterable<Buffer>): Promise<number> {
    let n = 0;
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // One short statement per chunk, each on a pool connection for a moment: a slow client holds no connection.
    const flush = async (bytes: Buffer) => {
      await classified(this.em().execute('insert into upload_chunks (upload_id, n, data) values (?, ?, ?)', [uploadId, n++, bytes]));
    };
    for await (const piece of source) {
      pending.push(piece);
      pendingBytes += piece.length;
      total += piece.length;
      while (pendingBytes >= CHUNK_BYTES) {
        const all = Buffer.concat(pending, pendingBytes);
        await flush(all.subarray(0, CHUNK_BYTES));
        pending = [all.subarray(CHUNK_BYTES)];
        pendingBytes -= CHUNK_BYTES;
      }
    }
    if (pendingBytes > 0) await flush(Buffer.concat(pending, pendingBytes));
    return total;
  }

  async *get(uploadId: string, start: number, end: number): AsyncIterable<Buffer> {
    for (let n = Math.floor(start / CHUNK_BYTES); n <= Math.floor(end / CHUNK_BYTES); n++) {
      const from = Math.max(start - n * CHUNK_BYTES, 0);
      const to = Math.min(end - n * CHUNK_BYTES, CHUNK_BYTES - 1);
      // substring of bytea counts from 1; only the bytes asked for leave the database.
      const [row] = await classified(
        this.em().execute('select substring(data from ? for ?) as data from upload_chunks where upload_id = ? and n = ?', [
          from + 1,
          to - from + 1,
          uploadId,
          n,
        ]),
      );
      if (!row) throw new Error(`upload ${uploadId} has no chunk ${n}`);
      yield row.data as Buffer;
    }
  }

  async remove(uploadId: string): Promise<void> {
    await classified(this.em().execute('delete from upload_chunks where upload_id = ?', [uploadId]));
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}

/** What a ticket declared, as stored when its PUT begins. */
export interface NewUpload {
  id: string;
  ownerId: string;
  name: string;
  contentType: string;
  size: number;
}

/** Claims the upload's row for one PUT: false when it exists already (uploaded, or a PUT of it is running). */
export async function beginUpload(em: EntityManager, upload: NewUpload): Promise<boolean> {
  const rows = await classified(
    em.execute(
      `insert into uploads (id, owner_id, name, content_type, size, complete, created_at)
       values (?, ?, ?, ?, ?, false, now()) on conflict (id) do nothing returning 1`,
      [upload.id, upload.ownerId, upload.name, upload.contentType, upload.size],
    ),
  );
  return rows.length === 1;
}

/** Every declared byte is stored: from now on a sendChat may name it. */
export async function finishUpload(em: EntityManager, uploadId: string): Promise<void> {
  await classified(em.execute('update uploads set complete = true where id = ?', [uploadId]));
}

/** Removes an upload that was refused or interrupted: its row and (cascade) its bytes. */
export async function dropUpload(em: EntityManager, uploadId: string): Promise<void> {
  await classified(em.execute('delete from uploads where id = ? and message_id is null', [uploadId]));
}

/** The upload, locked until the transaction ends: two sends of one upload, or a send and the sweep, go one at a time. */
export async function loadUploadForSend(tx: Tx, uploadId: string): Promise<UploadView | null> {
  const [row] = await tx.execute(
    'select owner_id, name, content_type, size, complete, message_id from uploads where id = ? for update',
    [uploadId],
  );
  if (!row) return null;
  return {
    ownerId: row.owner_id === null ? null : String(row.owner_id),
    name: String(row.name),
    contentType: String(row.content_type),
    size: Number(row.size),
    complete: Boolean(row.complete),
    messageId: row.message_id === null ? null : String(row.message_id),
  };
}

/** Binds the upload to the message that sends it: from now on the room's members may read it. */
export async function bindUpload(tx: Tx, uploadId: string, roomId: string, messageId: string): Promise<void> {
  await tx.execute('update uploads set room_id = ?, message_id = ? where id = ?', [roomId, messageId, uploadId]);
}

/** A file a reader may download: sent, and the reader is a member of its room now. */
export interface Download {
  name: string;
  contentType: string;
  size: number;
}

/**
 * The sent upload `uploadId`, if `userId` is a member of its room now: 'not-found' when there is no such
 * sent file (never sent, or its message deleted), 'forbidden' when the reader is not (or no longer) a member.
 */
export async function loadDownload(em: EntityManager, uploadId: string, userId: string): Promise<Download | 'not-found' | 'forbidden'> {
  const [row] = await classified(
    em.execute(
      `select u.name, u.content_type, u.size, m.user_id as member
       from uploads u left join room_members m on m.room_id = u.room_id and m.user_id = ?
       where u.id = ? and u.message_id is not null and u.complete`,
      [userId, uploadId],
    ),
  );
  if (!row) return 'not-found';
  if (!row.member) return 'forbidden';
  return { name: String(row.name), contentType: String(row.content_type), size: Number(row.size) };
}

/**
 * deleteMessage (issue 16) calls this in its transaction: the message's file
 * goes with it, and its links stop working at once. Returns how many were removed.
 */
export async function deleteUploadsOfMessage(tx: Tx, messageId: string): Promise<number> {
  const rows = await tx.execute('delete from uploads where message_id = ? returning 1', [messageId]);
  return rows.length;
}

/** deleteAccount (issue 17) calls this in its transaction: the user's uploads never sent are removed; sent ones stay with their messages. */
export async function deleteUnboundUploadsOf(tx: Tx, userId: string): Promise<number> {
  const rows = await tx.execute('delete from uploads where owner_id = ? and message_id is null returning 1', [userId]);
  return rows.length;
}

/** Uploads never sent are kept this long, then swept (their tickets expired long before). */
export const UNSENT_UPLOAD_KEEP_SECONDS = 24 * 3600;

/**
 * Removes up to `limit` uploads older than `keepSeconds` that no message sent
 * (those a PUT left unfinished too, if its gateway stopped mid-way), with their
 * bytes; returns how many. Rows a sendChat holds are skipped.
 */
export async function sweepUnsentUploads(orm: MikroORM, keepSeconds: number, limit: number): Promise<number> {
  const rows = await classified(
    orm.em.fork().execute(
      `delete from uploads where id in
         (select id from uploads where message_id is null and created_at < now() - make_interval(secs => ?)
          limit ? for update skip locked)
       returning 1`,
      [keepSeconds, limit],
    ),
  );
  return rows.length;
}
