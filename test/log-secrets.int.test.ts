import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { toClientError } from '../src/gateway/errors';
import { createLogger, errorFields } from '../src/log';
import { openStore } from '../src/store/orm';

// PostgreSQL's errors carry the statement and its values: every path that logs one must log
// neither. Each error here is provoked against the real database with a secret in its values.
let orm: MikroORM;
beforeAll(async () => {
  orm = await openStore(process.env.DATABASE_URL!);
});
afterAll(() => orm.close());

const PASSWORD_HASH = `$argon2id$v=19$m=19456,t=2,p=1$${randomUUID()}`;
const EMAIL = `secret-${randomUUID().slice(0, 8)}@example.com`;
const SEARCH = `secret-search-${randomUUID().slice(0, 8)}`;
const SECRETS = [PASSWORD_HASH, EMAIL, SEARCH, 'insert into', 'select '];

async function refused(sql: string, params: unknown[]): Promise<unknown> {
  try {
    await orm.em.fork().execute(sql, params);
  } catch (err) {
    return err;
  }
  throw new Error(`expected PostgreSQL to refuse: ${sql}`);
}

const insertUser = (username: string, text = 'ok') =>
  refused(
    `insert into users (id, username, password_hash, display_name, email, status_message, created_at) values (?, ?, ?, ?, ?, '', now())`,
    [randomUUID(), username, PASSWORD_HASH, text, EMAIL],
  );

const cases: [string, () => Promise<unknown>][] = [
  [
    'a unique violation (23505), whose detail names the value',
    async () => {
      const username = `dup_${randomUUID().slice(0, 8)}`;
      await orm.em.fork().execute(
        `insert into users (id, username, password_hash, display_name, email, status_message, created_at) values (?, ?, ?, 'x', ?, '', now())`,
        [randomUUID(), username, PASSWORD_HASH, EMAIL],
      );
      return insertUser(username);
    },
  ],
  ['a NUL in a text value', () => insertUser(`nul_${randomUUID().slice(0, 8)}`, 'a\u0000b')],
  ['a value of the wrong type (22P02), whose message quotes it', () => refused('select id from users where id = ?', [SEARCH])],
  ['a value too long for its column (22001)', () => insertUser(`long_${SEARCH}`.repeat(5))],
];

test.each(cases)('%s: logged by its SQLSTATE, without the statement or its values', async (_what, provoke) => {
  const err = await provoke();
  const lines: string[] = [];
  const log = createLogger('secrets', false, { destination: { write: (line: string) => void lines.push(line) } });
  log.error('worker path', errorFields(err));
  log.error('stack path', errorFields(err, { stack: true }));
  // The gateway's one place where faults are logged; the client is told nothing of it.
  const told = toClientError({ message: (err as Error).message }, err, log, true);
  expect(told).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });

  const text = lines.join('\n');
  expect(lines).toHaveLength(3);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  expect(JSON.parse(lines[0])).toMatchObject({ sqlState: expect.stringMatching(/^[0-9A-Z]{5}$/) });
});
