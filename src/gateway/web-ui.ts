import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type Router } from 'express';

/** The repository root: the nearest folder above this file with a package.json (from src/ or dist/src/). */
function repoRoot(dir = __dirname): string {
  return existsSync(join(dir, 'package.json')) ? dir : repoRoot(dirname(dir));
}

/**
 * Where web/build.ts puts the bundled web UI. Inside dist/, so `npm run build`
 * and the Docker image carry it; the same path whether the gateway runs from
 * src/ (jest) or from dist/src/.
 */
export const WEB_UI_DIR = join(repoRoot(), 'dist', 'public');

/**
 * The web UI's static files at `/`. Only files that exist are served, so
 * /graphql and the rest are untouched. In production its source map (web/build.ts
 * writes app.js.map beside app.js) is not: it would hand out the UI's sources.
 */
export function webUi({ dir = WEB_UI_DIR, production }: { dir?: string; production: boolean }): Router {
  const router = express.Router();
  // As if the file were not there: the same 404 as any other missing path. Decoded as express.static decodes it (app.js%2Emap).
  if (production) router.use((req, _res, next) => next(isSourceMap(req.path) ? 'router' : undefined));
  router.use(
    express.static(dir, {
      setHeaders: (res) => {
        // The UI loads only its own files and talks only to this origin.
        res.setHeader('Content-Security-Policy', "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
      },
    }),
  );
  router.get('/', (_req, res) => void res.status(404).type('text').send('The web UI is not built: run `npm run build`.\n'));
  return router;
}

function isSourceMap(path: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // express.static refuses a malformed path itself
  }
  return decoded.toLowerCase().endsWith('.map');
}
