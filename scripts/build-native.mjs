#!/usr/bin/env node
/**
 * Builds reglab's native kernels (native/, an N-API addon) with node-gyp; run by `npm install`
 * (the `install` script) and by `npm run build:native`.
 *
 * It never fails the install: when the build cannot run or fails, it prints one line saying why
 * and records it in native/build-status.json; reglab then says that reason once, when
 * `selectBackend` chooses a backend, and runs on wasm.
 *
 * - OpenBLAS is used when pkg-config finds it (Debian: `apt-get install libopenblas-dev`),
 *   otherwise the built-in GEMM only (native/blas.mjs; REGLAB_NATIVE_BLAS=none forces that).
 * - `-march=native` (this machine's CPU); REGLAB_NATIVE_MARCH=x86-64-v3 builds for others.
 * - REGLAB_NATIVE=off skips the build; REGLAB_NATIVE_DIR builds another copy of native/
 *   (the tests use it to check the failure path without touching the real build).
 * - node-gyp: npm's own (npm_config_node_gyp, set during npm scripts) or the one bundled with
 *   npm next to this Node; Node's headers from this Node's installation when present (no
 *   download), else node-gyp's usual download.
 */
/* global process, console */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(process.env.REGLAB_NATIVE_DIR ?? path.join(root, 'native'));
const statusFile = path.join(dir, 'build-status.json');

function finish(ok, reason, extra = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    statusFile,
    JSON.stringify({ ok, reason, date: new Date().toISOString(), ...extra }, null, 2) + '\n',
  );
  console.log(
    ok
      ? `reglab: native kernels built (${reason})`
      : `reglab: native kernels not built: ${reason}; reglab will run on wasm`,
  );
  process.exit(0);
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    path.join(
      path.dirname(process.execPath),
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((c) => c && existsSync(c));
}

/** This Node's own headers (a system or tarball install has include/node/node_api.h). */
function nodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function lastLines(text, n = 4) {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('gyp info'));
  const errors = lines.filter((l) => /error|not found|No such file|cannot/i.test(l));
  return (errors.length ? errors : lines).slice(-n).join(' | ').slice(0, 400);
}

if (process.env.REGLAB_NATIVE === 'off') finish(false, 'skipped (REGLAB_NATIVE=off)');
const gyp = nodeGyp();
if (!gyp) finish(false, 'node-gyp was not found (it ships with npm; run the install through npm)');
const headers = nodeDir();
const args = [
  gyp,
  'rebuild',
  '--directory',
  dir,
  ...(headers ? [`--nodedir=${headers}`] : []),
  `--jobs=${Math.max(1, Math.min(4, (await import('node:os')).cpus().length))}`,
];
const started = Date.now();
const result = spawnSync(process.execPath, args, {
  encoding: 'utf8',
  env: { ...process.env, REGLAB_ROOT: root },
});
const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
writeFileSync(path.join(dir, 'build.log'), output);
if (result.error || result.status !== 0) {
  finish(
    false,
    `${result.error ? result.error.message : `node-gyp failed (exit ${result.status})`}: ${lastLines(output)} (full log: ${path.join(dir, 'build.log')})`,
  );
}
// Load it once in a fresh process: a missing shared library or an illegal instruction shows here.
const addon = path.join(dir, 'build', 'Release', 'reglab_native.node');
const check = spawnSync(
  process.execPath,
  ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addon)}).info()))`],
  { encoding: 'utf8' },
);
if (check.status !== 0)
  finish(false, `the addon was built but does not load: ${lastLines(check.stderr ?? '')}`);
const info = JSON.parse(check.stdout);
finish(
  true,
  `${info.openblas ? 'OpenBLAS' : 'built-in GEMM'}, ${info.vectorWidth}-float SIMD, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  { info },
);
