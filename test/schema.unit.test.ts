import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { SCHEMA_FILE, schemaSdl } from '../src/gateway/emit-schema';

/** The team's contract, and the copy kept beside the schema so a clone checks against it on its own. */
const SHARED_CONTRACT = join(__dirname, '..', '..', 'shared', 'api', 'contract.graphql');
const CONTRACT_COPY = join(__dirname, '..', 'schema', 'contract.graphql');

test('schema/schema.graphql is what the code emits (run `npm run schema` after changing the API)', async () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await schemaSdl());
});

test('the emitted schema is a compatible superset of the contract (what ../shared/api/check-contract.mjs checks)', () => {
  const contract = buildSchema(readFileSync(CONTRACT_COPY, 'utf8'));
  const served = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));
  expect(findBreakingChanges(contract, served).map((b) => `${b.type}: ${b.description}`)).toEqual([]);
});

// Only where the shared folder sits beside the clone, as in development; a clone elsewhere relies on the copy.
(existsSync(SHARED_CONTRACT) ? test : test.skip)('schema/contract.graphql is the shared contract (copy it over when it changes)', () => {
  expect(readFileSync(CONTRACT_COPY, 'utf8')).toBe(readFileSync(SHARED_CONTRACT, 'utf8'));
});
