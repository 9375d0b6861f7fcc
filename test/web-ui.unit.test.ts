import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { webUi } from '../src/gateway/web-ui';

// The web UI's static files, from a folder shaped like web/build.ts's output; an in-process HTTP server, no service.
const dir = mkdtempSync(join(tmpdir(), 'web-ui-'));
writeFileSync(join(dir, 'index.html'), '<script type="module" src="app.js"></script>');
writeFileSync(join(dir, 'app.js'), 'console.log(1);\n//# sourceMappingURL=app.js.map');
writeFileSync(join(dir, 'app.js.map'), '{"version":3,"sources":["../../web/src/main.ts"]}');

const servers: Server[] = [];
async function serve(production: boolean): Promise<string> {
  const app = express();
  app.use(webUi({ dir, production }));
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

const status = async (url: string) => (await fetch(url)).status;

test('in production the source map is not served, however its name is written; the UI is', async () => {
  const base = await serve(true);
  expect(await status(`${base}/`)).toBe(200);
  expect(await status(`${base}/app.js`)).toBe(200);
  for (const path of ['/app.js.map', '/app.js%2Emap', '/app.js%2emap', '/./app.js.map']) expect([path, await status(`${base}${path}`)]).toEqual([path, 404]);
});

test('in development it is, for the browser’s debugger', async () => {
  const base = await serve(false);
  expect(await status(`${base}/app.js.map`)).toBe(200);
  expect(await status(`${base}/app.js`)).toBe(200);
});
