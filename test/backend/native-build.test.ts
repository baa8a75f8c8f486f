/**
 * The native addon's build never breaks an install, and reglab says why it runs without it:
 * a failing compiler (a copy of native/ built with CXX=false, so the real build is untouched)
 * leaves exit status 0 and the reason in build-status.json, which `selectBackend('auto')`
 * then prints once in its line; REGLAB_NATIVE=off turns the backend off the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** The log line of selectBackend('auto') in a fresh process with `env`. */
function autoLine(env: Record<string, string>): string {
  const script =
    "const { selectBackend } = await import('./src/backend/select.ts');" +
    'await selectBackend("auto", { log: (line) => console.log("LINE " + line) });';
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    },
  );
  assert.equal(child.status, 0, child.stderr);
  const line = child.stdout.split('\n').find((l) => l.startsWith('LINE '));
  assert.ok(line, child.stdout);
  return line.slice('LINE '.length);
}

test('a failing compiler: the install step succeeds, records why, and auto says it once', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reglab-native-'));
  try {
    for (const entry of ['binding.gyp', 'blas.mjs', 'src'])
      cpSync(path.join(root, 'native', entry), path.join(dir, entry), { recursive: true });
    const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-native.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, REGLAB_NATIVE_DIR: dir, CXX: 'false', CC: 'false' },
    });
    assert.equal(build.status, 0, 'the build script must never fail the install');
    assert.match(
      build.stdout,
      /reglab: native kernels not built: .*node-gyp failed.*; reglab will run on wasm/,
    );
    const status = JSON.parse(readFileSync(path.join(dir, 'build-status.json'), 'utf8'));
    assert.equal(status.ok, false);
    const line = autoLine({ REGLAB_NATIVE_DIR: dir });
    assert.match(line, /^backend: wasm .*native \(native kernels unavailable: node-gyp failed/);
    assert.equal(line.match(/native kernels unavailable/g)?.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('REGLAB_NATIVE=off: auto skips native and says so', () => {
  assert.match(
    autoLine({ REGLAB_NATIVE: 'off' }),
    /^backend: wasm .*native \(native kernels unavailable: turned off \(REGLAB_NATIVE=off\)\)/,
  );
});
