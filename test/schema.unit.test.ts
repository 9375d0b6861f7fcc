import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { SCHEMA_FILE, schemaSdl } from '../src/gateway/emit-schema';

/** The copy of the team's contract kept beside the schema, so that the schema is checked against it wherever the tests run. */
const CONTRACT_COPY = join(__dirname, '..', 'schema', 'contract.graphql');

/** The team's contract: `shared/api/contract.graphql` in the nearest folder above the clone that has one (a worktree may sit deeper). */
function sharedContract(): string | null {
  for (let dir = join(__dirname, '..', '..'); ; dir = dirname(dir)) {
    const file = join(dir, 'shared', 'api', 'contract.graphql');
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return null;
  }
}

test('schema/schema.graphql is what the code emits (run `npm run schema` after changing the API)', async () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await schemaSdl());
});

test('the emitted schema is a compatible superset of the contract (what ../shared/api/check-contract.mjs checks)', () => {
  const contract = buildSchema(readFileSync(CONTRACT_COPY, 'utf8'));
  const served = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));
  expect(findBreakingChanges(contract, served).map((b) => `${b.type}: ${b.description}`)).toEqual([]);
});

// The shared contract may be a newer version than the one this code serves (version 2 is being built,
// issues 15-19), but a newer version only adds: nothing the copy promises may be missing from it or changed.
// A clone with no shared folder above it (a bare `git clone` into a temporary folder) cannot compare: the
// test is then reported as skipped, by a name that says why, and the checks above still run on the copy.
const SHARED_CONTRACT = sharedContract();
(SHARED_CONTRACT ? test : test.skip)(
  SHARED_CONTRACT
    ? 'schema/contract.graphql is the shared contract or an earlier version of it (copy it over once the new version is served)'
    : `schema/contract.graphql against the shared contract: not checked, no shared/api/contract.graphql in any folder above ${join(__dirname, '..')}`,
  () => {
    const copy = buildSchema(readFileSync(CONTRACT_COPY, 'utf8'));
    const newest = buildSchema(readFileSync(SHARED_CONTRACT!, 'utf8'));
    expect(findBreakingChanges(copy, newest).map((b) => `${b.type}: ${b.description}`)).toEqual([]);
  },
);
