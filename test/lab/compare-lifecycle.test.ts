/**
 * compare's processes (issue 17, class 7): killing the parent (SIGKILL: no handler of its own
 * runs) kills its workers, their run folders unlocked; the experiment folder is locked while a
 * compare runs it; `report` on the experiment left incomplete names its missing cells.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { compare } from '../../src/lab/compare.js';
import { collectReportInput } from '../../src/report/collect.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in a folder's lock, once there is one (polls for up to `seconds`). */
async function lockOwner(dir: string, seconds = 120): Promise<number> {
  for (let waited = 0; waited < seconds * 10; waited++) {
    const text = await readFile(path.join(dir, '.lock'), 'utf8').catch(() => '');
    if (text) return (JSON.parse(text) as { pid: number }).pid;
    await sleep(100);
  }
  throw new Error(`no lock in ${dir} after ${seconds} s`);
}

test('killing compare’s parent kills its workers; a second compare on the folder is refused; report names the missing cells', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'reglab-lifecycle-'));
  const parent = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'compare-parent.ts'), out],
    { stdio: 'inherit' },
  );
  const workers: number[] = [];
  try {
    workers.push(
      await lockOwner(path.join(out, 'std-s1')),
      await lockOwner(path.join(out, 'std-s2')),
    );
    assert.equal(await lockOwner(out), parent.pid, 'the parent holds the experiment folder');
    assert.ok(
      workers.every((pid) => pid !== parent.pid && alive(pid)),
      'two live workers',
    );
    await assert.rejects(
      compare(
        {
          base: { dataset: 'peak', model: 'mlp:4', epochs: 1, batchSize: 10, optimizer: 'adam' },
          methods: [{ label: 'std', regs: [] }],
          seeds: [1],
        },
        { out, backend: 'cpu', workers: 1, log: () => {} },
      ),
      new RegExp(`the experiment folder ${out} is in use by process ${parent.pid}`),
    );
    const exited = new Promise((resolve) => parent.on('exit', resolve));
    parent.kill('SIGKILL');
    await exited;
    for (let waited = 0; waited < 300 && workers.some(alive); waited++) await sleep(100);
    assert.deepEqual(
      workers.filter(alive),
      [],
      'no worker outlives its parent (30 s after the kill)',
    );
    for (const cell of ['std-s1', 'std-s2'])
      await assert.rejects(readFile(path.join(out, cell, '.lock')), /ENOENT/, `${cell} unlocked`);
    const report = await collectReportInput(out);
    assert.deepEqual(report.missing, ['std-s1', 'std-s2']);
  } finally {
    // a failing run must not leave its (long) runs training
    for (const pid of [parent.pid!, ...workers]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(out, { recursive: true, force: true });
  }
});
