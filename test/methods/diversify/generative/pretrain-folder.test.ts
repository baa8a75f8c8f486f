/**
 * `reglab pretrain` under the run-folder rules (issue 17, class 5): a stack killed after its
 * first level resumes to the folder of an uninterrupted one, bit for bit; a trained run's folder
 * is never written over, and `train` does not write over a stack.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pretrainAction, type PretrainFlags } from '../../../../src/cli/commands/pretrain.js';
import { trainRun } from '../../../../src/lab/run.js';
import { readPretrainConfig } from '../../../../src/lab/run-folder.js';
import { useBackend } from '../../../support.js';

before(() => useBackend('cpu'));

const flags = (out: string): PretrainFlags => ({
  dataset: 'peak',
  trainSize: 20,
  layers: [8, 6],
  epochs: 2,
  batchSize: 10,
  lr: 0.1,
  k: 1,
  persistent: true,
  dr: 'bhattacharyya:0.01',
  seed: 4,
  backend: 'cpu',
  out,
});

/** The files of a folder; JSON with wall-clock seconds and TF.js's per-process model name blanked. */
async function contents(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const clean = (text: string) =>
    JSON.stringify(JSON.parse(text), (key, value: unknown) =>
      key === 'seconds' || (key === 'name' && /^sequential_\d+$/.test(String(value))) ? 0 : value,
    );
  for (const name of (await readdir(dir)).sort()) {
    const bytes = await readFile(path.join(dir, name));
    out.set(
      name,
      name.endsWith('.bin')
        ? bytes.toString('base64')
        : name.endsWith('.jsonl')
          ? bytes.toString('utf8').trim().split('\n').map(clean).join('\n')
          : clean(bytes.toString('utf8')),
    );
  }
  return out;
}

test('a pretrain stack killed after its first level resumes bit for bit', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'reglab-stack-'));
  try {
    const whole = path.join(root, 'whole');
    await pretrainAction(flags(whole), () => {});
    const out = path.join(root, 'crashed');
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'fixtures-pretrain-child.ts'),
        JSON.stringify(flags(out)),
      ],
      { env: { ...process.env, REGLAB_CRASH_AT: 'checkpoint:committed#1' }, encoding: 'utf8' },
    );
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assert.deepEqual(
      (await readdir(out)).sort(),
      ['.lock', 'config.json', 'stack-1.bin', 'stack.json'],
      'level 1 committed, no model yet',
    );
    const lines: string[] = [];
    await pretrainAction(flags(out), (line) => lines.push(line));
    assert.ok(lines.includes('resuming after level 1 of 2'), lines.join('\n'));
    const [got, want] = [await contents(out), await contents(whole)];
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [name, content] of want) assert.equal(got.get(name), content, `${name} bit for bit`);
    assert.deepEqual((await readPretrainConfig(out)).layers, [8, 6]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('pretrain refuses a trained run’s folder and train refuses a stack', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'reglab-stack-'));
  try {
    const run = path.join(root, 'run');
    const config = {
      dataset: 'peak',
      trainSize: 20,
      testSize: 10,
      model: 'mlp:4',
      epochs: 1,
      batchSize: 10,
      optimizer: 'adam',
      seed: 1,
    };
    await trainRun(config, run);
    const before = await contents(run);
    await assert.rejects(
      pretrainAction(flags(run), () => {}),
      /is the run folder of a trained run \(reglab train\), not a pretrain stack/,
    );
    assert.deepEqual(await contents(run), before, 'the run folder is unchanged');
    const stack = path.join(root, 'stack');
    await pretrainAction({ ...flags(stack), layers: [4] }, () => {});
    await assert.rejects(
      trainRun(config, stack),
      /is a pretrain stack \(reglab pretrain\), not the folder of this run — train into another --out and start from the stack with --init/,
    );
    await assert.rejects(
      pretrainAction({ ...flags(stack), layers: [4], seed: 9 }, () => {}),
      /holds a different stack \(seed: 4 there, 9 now\)/,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
