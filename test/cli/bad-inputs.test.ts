/**
 * The bad-input suite (issue 17): every case of `bad-inputs.cases.ts` through the real CLI entry
 * point in a child process, a few at a time. Each must exit with its code, print one line that
 * names the problem (the flag, the value, the file) and no stack trace, and leave its sandbox
 * (the `--out` folder, the working directory, every fixture) exactly as it was.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '../support.js';
import {
  BAD_INPUTS,
  buildFixtures,
  ENTRY_POINTS,
  filesChanged,
  runCase,
  runPool,
  verdict,
  type CaseOutcome,
  type Fixtures,
} from './bad-inputs.cases.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs node with `args` in the repository; resolves to the exit code and the output. */
function runNode(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: repo,
      env: { ...process.env, REGLAB_DEBUG: '', ...env },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const root = mkdtempSync(path.join(tmpdir(), 'reglab-bad-inputs-'));
let fixtures: Fixtures;
const outcomes = new Map<string, Promise<CaseOutcome>>();

/** bin/reglab.js runs the compiled CLI (dist/, built by `npm install`); without it, skip. */
const binBuilt = existsSync(path.join(ENTRY_POINTS.bin[0], '..', '..', 'dist', 'cli', 'main.js'));

before(async () => {
  await useBackend('cpu');
  fixtures = await buildFixtures(root);
  // Start every case at once through a small pool; each test below awaits its own.
  const items = BAD_INPUTS.filter((item) => item.entry !== 'bin' || binBuilt);
  const workers = Math.max(2, Math.min(4, availableParallelism()));
  const results = runPool(items, workers, (item) => runCase(item, fixtures, { root }));
  items.forEach((item, k) =>
    outcomes.set(
      item.name,
      results.then((all) => all[k]),
    ),
  );
});

after(() => rmSync(root, { recursive: true, force: true }));

test('the table has at least 60 cases with distinct names', () => {
  assert.ok(BAD_INPUTS.length >= 60, `${BAD_INPUTS.length} cases`);
  assert.equal(new Set(BAD_INPUTS.map((item) => item.name)).size, BAD_INPUTS.length);
});

for (const item of BAD_INPUTS) {
  test(
    `bad input: ${item.name}`,
    { skip: item.entry === 'bin' && !binBuilt && 'dist/ not built' },
    async () => {
      const outcome = await outcomes.get(item.name)!;
      const context = `\n--- stderr ---\n${outcome.stderr.slice(0, 3000)}\n--- stdout (tail) ---\n${outcome.stdout.slice(-1000)}`;
      assert.equal(outcome.code, item.exit ?? 1, `exit code${context}`);
      assert.equal(
        verdict(item, outcome),
        'named error',
        `the message names ${item.names(outcome.ctx).join(', ')}${context}`,
      );
      const errorLines = outcome.stderr.split('\n').filter((line) => /^(reglab|error):/.test(line));
      assert.equal(errorLines.length, 1, `one error line${context}`);
      assert.deepEqual(filesChanged(outcome), [], `the sandbox is unchanged${context}`);
      assert.doesNotMatch(outcome.stdout, /epoch \d+\//, `refused before any training${context}`);
    },
  );
}

test('a stray rejection under the wasm backend is one line and exit code 2, not an Emscripten dump', async () => {
  // The CLI installs its handlers when main() first runs; the wasm module installs its own
  // (which re-throw, printing the module's source) when the backend loads, after them.
  const script = `
    import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-wasm';
    import { main } from ${JSON.stringify(path.join(repo, 'src', 'cli', 'main.ts'))};
    await main(['node', 'reglab', '--version']);
    await tf.setBackend('wasm');
    await tf.ready();
    process.exitCode = 0;
    Promise.reject(new Error('stray rejection from a callback'));
  `;
  const { code, stderr } = await runNode([
    '--import',
    ENTRY_POINTS.tsx[1],
    '--input-type=module',
    '-e',
    script,
  ]);
  assert.equal(code, 2, stderr.slice(0, 2000));
  assert.match(
    stderr,
    /^reglab: internal error: stray rejection from a callback — .*REGLAB_DEBUG=1/m,
  );
  assert.ok(stderr.length < 1000, `a short message, not a dump (${stderr.length} chars)`);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
});

test('REGLAB_DEBUG=1 adds the stack trace to the one line', async () => {
  const run = path.join(root, 'debug-run');
  cpSync(fixtures.run, run, { recursive: true });
  truncateSync(path.join(run, 'weights.bin'), 10);
  const { code, stderr } = await runNode(
    [...ENTRY_POINTS.tsx, 'svd', '--run', run, '--out', path.join(root, 'debug-out')],
    { REGLAB_DEBUG: '1' },
  );
  assert.equal(code, 1);
  assert.match(stderr, /^reglab: .*weights\.bin has 10 bytes/m);
  assert.match(stderr, /^\s+at .*io\.ts/m, 'the stack names the file that threw');
});

test('--init from a pretrain folder without --model builds its model and says what it copied', async () => {
  const out = path.join(root, 'init-run');
  const { code, stdout, stderr } = await runNode([
    ...ENTRY_POINTS.tsx,
    'train',
    '--dataset',
    'peak',
    '--train-size',
    '20',
    '--test-size',
    '10',
    '--epochs',
    '1',
    '--backend',
    'cpu',
    '--init',
    fixtures.pretrain,
    '--out',
    out,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /--init .*pretrain without --model: building its model mlp:4 \(activation sigmoid\)/,
  );
  assert.match(stdout, /--init .*pretrain: copied dense_1, dense_2\n/);
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(config.model, 'mlp:4');
  assert.equal(config.activation, 'sigmoid');
});
