import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..');
const OUTPUT_DIR = 'web/src/gql';

/**
 * What `npm run codegen` would write, without writing it. It runs in a
 * process of its own: the codegen CLI loads ESM-only modules (yargs), which
 * jest's CommonJS module system cannot, while plain Node 20 can.
 */
async function generatedFiles(): Promise<Record<string, string>> {
  const script = `
    const { generate, loadContext } = require('@graphql-codegen/cli');
    (async () => {
      const context = await loadContext('codegen.ts');
      context.updateConfig({ silent: true });
      const outputs = await generate(context, false);
      process.stdout.write(JSON.stringify(outputs.map((o) => [o.filename, o.content])));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: ROOT, maxBuffer: 16 << 20 });
  return Object.fromEntries(JSON.parse(stdout) as [string, string][]);
}

test('the committed typed documents in web/src/gql are what codegen makes', async () => {
  const generated = await generatedFiles();
  const committed = Object.fromEntries(
    readdirSync(join(ROOT, OUTPUT_DIR)).map((name) => [`${OUTPUT_DIR}/${name}`, readFileSync(join(ROOT, OUTPUT_DIR, name), 'utf8')]),
  );
  expect(Object.keys(generated).length).toBeGreaterThan(0);
  const stale = Object.keys({ ...generated, ...committed }).filter((file) => generated[file] !== committed[file]);
  if (stale.length > 0) {
    throw new Error(`the generated client code is stale (${stale.sort().join(', ')}): run npm run codegen and commit the result`);
  }
});
