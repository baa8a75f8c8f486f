/** The benchmark harness: measurement bookkeeping, error capture and the Markdown writer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  compareInterleaved,
  markdownTable,
  measureThroughput,
  THROUGHPUT_COLUMNS,
} from '../../bench/harness.js';

test('measureThroughput counts steps, samples and leaks', async () => {
  let setups = 0;
  let teardowns = 0;
  const r = await measureThroughput({
    name: 'toy',
    backend: 'cpu',
    samplesPerStep: 10,
    warmup: 1,
    seconds: 0.05,
    minSteps: 2,
    setup: () => (setups++, tf.ones([4, 4])),
    step: (m) => tf.tidy(() => tf.matMul(m, m)).dispose(),
    teardown: (m) => (teardowns++, m.dispose()),
  });
  assert.equal(r.error, undefined);
  assert.deepEqual([setups, teardowns], [1, 1]);
  assert.ok(r.steps >= 2);
  assert.ok(Math.abs(r.samplesPerSec - (10 * r.steps) / r.seconds) < 1e-6);
  assert.equal(r.leakedPerStep, 0);
  assert.ok(r.rssMB > 0);
});

test('a failing step is recorded, not thrown, and the table shows it', async () => {
  const r = await measureThroughput({
    name: 'broken',
    backend: 'cpu',
    samplesPerStep: 1,
    setup: () => 0,
    step: () => {
      throw new Error('kernel X missing — a hint');
    },
  });
  assert.equal(r.error, 'kernel X missing');
  assert.ok(Number.isNaN(r.samplesPerSec));
  const table = markdownTable([r], THROUGHPUT_COLUMNS).split('\n');
  assert.equal(table.length, 3);
  assert.match(table[0], /^\| case \| backend \| samples\/s \|/);
  assert.match(table[2], /^\| broken \| cpu \| fails: kernel X missing \| — \|/);
});

test('compareInterleaved alternates variants and reports medians relative to the first', async () => {
  const entered: string[] = [];
  // A fake clock that each step advances, so the medians are exact whatever the machine's load.
  let now = 0;
  const busy = (ms: number) => void (now += ms);
  const rows = await compareInterleaved({
    name: 'toy',
    backend: 'cpu',
    samplesPerStep: 4,
    rounds: 3,
    warmup: 0,
    clock: () => now,
    setup: () => null,
    variants: {
      slow: { enter: () => void entered.push('slow'), step: () => busy(8) },
      fast: { enter: () => void entered.push('fast'), step: () => busy(2) },
    },
  });
  assert.deepEqual(entered, ['slow', 'fast', 'fast', 'slow', 'slow', 'fast']);
  assert.deepEqual(
    rows.map((r) => r.variant),
    ['slow', 'fast'],
  );
  assert.equal(rows[0].vsFirst, 1);
  assert.equal(rows[0].msPerStep, 8);
  assert.equal(rows[1].msPerStep, 2);
  assert.equal(rows[1].vsFirst, 4);
  assert.equal(rows[1].samplesPerSec, 2000);
});
