import 'reflect-metadata';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { printSchema } from 'graphql';
import { buildChatSchema } from './schema';

/** The committed SDL is this text; a test fails when the code and the file disagree. */
export async function schemaSdl(): Promise<string> {
  return `${printSchema(await buildChatSchema())}\n`;
}

/** The repository root: the nearest folder above this file with a package.json (from src/ or dist/src/). */
function repoRoot(dir = __dirname): string {
  return existsSync(join(dir, 'package.json')) ? dir : repoRoot(dirname(dir));
}

export const SCHEMA_FILE = join(repoRoot(), 'schema', 'schema.graphql');

if (require.main === module) {
  schemaSdl()
    .then((sdl) => {
      writeFileSync(SCHEMA_FILE, sdl);
      console.log(`wrote ${SCHEMA_FILE}`);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
