#!/usr/bin/env node
/**
 * Serves a built browser lab (web/dist) on localhost: `node scripts/serve-lab.mjs [DIR] [--port N]`
 * (port 0 or absent: a free port, or 5173 when `npm run lab` runs it). Prints the address. Also
 * imported by the e2e test (`serveStatic`), which starts it on a free port.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Starts a static server for `dir` on `port` (0: any free one); resolves to its address. */
export function serveStatic(dir, port = 0) {
  const root = path.resolve(dir);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) return void response.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
      statSync(file);
    } catch {
      return void response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
    response.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolve({ url: `http://127.0.0.1:${actual}/`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portIndex = args.indexOf('--port');
  const port = portIndex >= 0 ? Number(args.splice(portIndex, 2)[1]) : 5173;
  const dir = args[0] ?? 'web/dist';
  try {
    statSync(path.join(dir, 'index.html'));
  } catch {
    console.error(`${dir}/index.html does not exist: build the lab first (npm run lab:build)`);
    process.exit(1);
  }
  const { url } = await serveStatic(dir, port).catch((error) => {
    console.error(`cannot serve on port ${port}: ${error.message} (pass --port N, or --port 0 for any free port)`);
    process.exit(1);
  });
  console.log(`reglab lab: ${url}  (Ctrl-C to stop)`);
}
