import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { WEB_UI_DIR } from '../src/gateway/web-ui';

/** web/ in the repository, whether this runs from web/ (jest) or from dist/web/. */
const WEB_SRC = join(WEB_UI_DIR, '..', '..', 'web');

/** Bundles the web UI into `outDir` (where the gateway serves it from): index.html, style.css, app.js. */
export async function buildWebUi(outDir = WEB_UI_DIR): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(WEB_SRC, 'src', 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(WEB_SRC, file), join(outDir, file));
}

if (require.main === module) {
  buildWebUi()
    .then(() => console.log(`built the web UI into ${WEB_UI_DIR}`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
