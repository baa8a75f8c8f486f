/**
 * `npx tsx bench/queue.ts [--backend native] [--rounds 2] [--quick]`
 *
 * `reglab compare` on this machine against `compare --queue` on a private redis-server with
 * local `reglab worker` processes, in one run, interleaved per round (a load change on a shared
 * machine hits every mode alike). The workers share the bench's session (`detached: false`): in
 * a session of their own Linux's autogroup scheduler would give them a CPU share of their own,
 * and on a loaded machine the queue would look 3× faster than a local run for that reason only.
 *
 * - the grid (std and racecar:1e-5 × 3 seeds, MNIST 1,000 images, mlp:64, 2 epochs): wall time
 *   with 1 and 2 cells at a time, locally (`--workers 1|2`) and queued (1 or 2 worker
 *   processes, `--concurrency 1` each);
 * - near-empty cells (6 seeds of the peak set, 20 samples, linear model, 1 epoch): the queue's
 *   overhead per cell = (queued − local wall time, one at a time) / cells. Both start a fresh
 *   process per cell, so the difference is what the queue adds: enqueueing, polling, sending
 *   the run's files back and writing them.
 *
 * Writes bench/results/queue.{json,md}.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compare, queueExecutor, type BackendName, type ExperimentConfig } from '../src/index.js';
import { startRedis, startWorker } from '../test/lab/queue-support.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : fallback;
};
const backend = flag('backend', 'native') as BackendName;
const rounds = Number(flag('rounds', '2'));
const quick = args.includes('--quick');

const grid: ExperimentConfig = {
  base: {
    dataset: 'mnist',
    trainSize: quick ? 200 : 1000,
    testSize: 500,
    model: 'mlp:64',
    epochs: quick ? 1 : 2,
    batchSize: 64,
    optimizer: 'adam',
    lr: 1e-3,
  },
  methods: [
    { label: 'std', regs: [] },
    { label: 'racecar:1e-5', regs: ['racecar:1e-5'] },
  ],
  seeds: [1, 2, 3],
};
const empty: ExperimentConfig = {
  base: {
    dataset: 'peak',
    trainSize: 20,
    testSize: 20,
    model: 'linear',
    epochs: 1,
    batchSize: 20,
    optimizer: 'adam',
    lr: 1e-3,
  },
  methods: [{ label: 'std', regs: [] }],
  seeds: [1, 2, 3, 4, 5, 6],
};

type Mode = {
  name: string;
  experiment: ExperimentConfig;
  cells: number;
  queued: number;
  local: number;
};
const modes: Mode[] = [
  { name: 'grid, local, 1 at a time', experiment: grid, cells: 6, queued: 0, local: 1 },
  { name: 'grid, queue, 1 worker', experiment: grid, cells: 6, queued: 1, local: 0 },
  { name: 'grid, local, 2 at a time', experiment: grid, cells: 6, queued: 0, local: 2 },
  { name: 'grid, queue, 2 workers', experiment: grid, cells: 6, queued: 2, local: 0 },
  { name: 'empty cells, local, 1 at a time', experiment: empty, cells: 6, queued: 0, local: 1 },
  { name: 'empty cells, queue, 1 worker', experiment: empty, cells: 6, queued: 1, local: 0 },
];

const redis = await startRedis();
const seconds: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m.name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 ? [...modes].reverse() : modes) {
      const out = await mkdtemp(path.join(tmpdir(), 'reglab-bench-queue-'));
      const workers = await Promise.all(
        Array.from({ length: mode.queued }, () =>
          startWorker(redis.url, { stallMs: 30_000, detached: false }),
        ),
      );
      try {
        const started = performance.now();
        const outcome = await compare(mode.experiment, {
          out,
          backend,
          log: () => {},
          workers: mode.local || undefined,
          executor: mode.queued ? queueExecutor({ url: redis.url, pollMs: 100 }) : undefined,
        });
        const s = (performance.now() - started) / 1000;
        if (outcome.failed.length) throw new Error(`${mode.name}: ${outcome.failed[0].error}`);
        seconds[mode.name].push(s);
        console.log(`round ${round + 1}: ${mode.name}: ${s.toFixed(1)} s`);
      } finally {
        for (const worker of workers) await worker.kill();
        await rm(out, { recursive: true, force: true });
      }
    }
  }
} finally {
  await redis.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [
  `| mode | cells | wall s (median; runs) |`,
  `|---|---|---|`,
  ...modes.map(
    (m) =>
      `| ${m.name} | ${m.cells} | ${median(seconds[m.name]).toFixed(1)}; ${seconds[m.name].map((s) => s.toFixed(1)).join(', ')} |`,
  ),
];
const perRound = (a: string, b: string) => seconds[a].map((s, k) => s / seconds[b][k]);
const overhead = seconds[modes[5].name].map(
  (s, k) => (s - seconds[modes[4].name][k]) / empty.seeds.length,
);
lines.push(
  '',
  `2 at a time ÷ 1 at a time: local ${perRound(modes[2].name, modes[0].name)
    .map((r) => r.toFixed(2))
    .join(', ')}; queue ${perRound(modes[3].name, modes[1].name)
    .map((r) => r.toFixed(2))
    .join(', ')}`,
  `queue ÷ local, 1 at a time: ${perRound(modes[1].name, modes[0].name)
    .map((r) => r.toFixed(2))
    .join(', ')}`,
  `queue overhead per near-empty cell (s): ${overhead.map((s) => s.toFixed(2)).join(', ')}`,
);
console.log(lines.join('\n'));
await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/queue.json',
  JSON.stringify({ backend, rounds, seconds, overhead }, null, 2),
);
await writeFile('bench/results/queue.md', lines.join('\n') + '\n');
