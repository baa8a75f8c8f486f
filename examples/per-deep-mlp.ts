/**
 * Experiment (a): a deep plain MLP (10 hidden layers of width 128, tanh, no batch norm) on an
 * MNIST subset, vanilla vs L1 vs L2 activation penalties vs PER over λ ∈ {1e-5, 1e-4, 1e-3},
 * 3 seeds. Reports test error (mean ± sd) and, at the end of training, the per-layer activation
 * mean, variance and sliced W1 to N(0, I) (test set, 512 samples, 64 slices) — the paper's
 * claim is that PER pulls deep layers' mean towards 0 and variance towards 1.
 *
 *   npx tsx examples/per-deep-mlp.ts [--epochs 4] [--seeds 3] [--train 2000] [--test 1000]
 *     [--methods l1act,l2act,per] [--lambdas 1e-5,1e-4,1e-3] [--vanilla true] [--out per-deep-mlp]
 *
 * PER draws its directions from the run's generator, which also shuffles the batches, so a PER
 * run sees another batch order than a vanilla run of the same seed; `per:0` (PER computed with
 * weight 0) is the control with PER's batch order. Writes examples/results/<out>.json.
 */
import { loadMnist } from '../src/index.js';
import {
  argument,
  exampleBackend,
  meanSd,
  runOnce,
  writeJson,
  type RunResult,
} from './per-shared.js';

const epochs = Number(argument('epochs', '4'));
const seeds = Number(argument('seeds', '3'));
const lambdas = argument('lambdas', '1e-5,1e-4,1e-3').split(',');
const activation = argument('activation', 'tanh') as 'tanh' | 'elu';
const depth = Number(argument('depth', '10'));
const data = loadMnist({
  trainSize: Number(argument('train', '2000')),
  testSize: Number(argument('test', '1000')),
});
const backend = await exampleBackend();
const model = `mlp:${Array(depth).fill(128).join(',')}`;
const methods = argument('methods', 'l1act,l2act,per').split(',');
const vanilla = argument('vanilla', 'true') === 'true' ? ['none'] : [];
const regs = [
  ...vanilla,
  ...methods.flatMap((name) => lambdas.map((lambda) => `${name}:${lambda}`)),
];

console.log(`backend ${backend}; ${model} ${activation}; ${epochs} epochs; ${seeds} seeds`);
const results: RunResult[] = [];
for (const reg of regs) {
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runOnce(
      { model, activation, reg, seed, epochs, batchSize: 128, learningRate: 1e-3 },
      data,
    );
    results.push(result);
    console.log(
      `${reg.padEnd(12)} seed ${seed}: test error ${(100 * result.testError).toFixed(2)}%  (${result.seconds.toFixed(1)} s)`,
    );
  }
}

/** Per config: test error and the monitor at the end, averaged over seeds. */
const layers = Array.from({ length: depth }, (_, k) => `dense_${k + 1}`);
const summary = regs.map((reg) => {
  const runs = results.filter((r) => r.config.reg === reg);
  const final = (key: string) =>
    meanSd(runs.map((r) => r.monitors[r.monitors.length - 1][key])).mean;
  return {
    reg,
    testError: meanSd(runs.map((r) => 100 * r.testError)),
    layers: Object.fromEntries(
      layers.map((l) => [
        l,
        { mean: final(`${l}/mean`), var: final(`${l}/var`), sw1: final(`${l}/sw1`) },
      ]),
    ),
  };
});
console.log('\n| reg | test error % | dense_1 mean/var/SW1 | dense_5 | dense_10 |');
console.log('|---|---|---|---|---|');
const fmt = (s: { mean: number; var: number; sw1: number }) =>
  `${s.mean.toFixed(3)} / ${s.var.toFixed(3)} / ${s.sw1.toFixed(3)}`;
for (const row of summary) {
  const deep = [layers[0], layers[Math.floor(depth / 2) - 1], layers[depth - 1]].map((l) =>
    fmt(row.layers[l]),
  );
  console.log(
    `| ${row.reg} | ${row.testError.mean.toFixed(2)} ± ${row.testError.sd.toFixed(2)} | ${deep.join(' | ')} |`,
  );
}
await writeJson(`examples/results/${argument('out', 'per-deep-mlp')}.json`, {
  backend,
  model,
  activation,
  epochs,
  seeds,
  summary,
  runs: results,
});
