import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_FILE, schemaSdl } from '../src/gateway/emit-schema';

test('schema/schema.graphql is what the code emits (run `npm run schema` after changing the API)', async () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await schemaSdl());
});

test('the emitted schema is a compatible superset of the shared contract', () => {
  const checker = join(__dirname, '..', '..', 'shared', 'api', 'check-contract.mjs');
  const run = spawnSync(process.execPath, [checker, SCHEMA_FILE], { cwd: join(__dirname, '..'), encoding: 'utf8' });
  expect(run.stdout.trim()).toBe('contract: compatible');
  expect(run.status).toBe(0);
});
