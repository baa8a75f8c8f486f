/**
 * Experiment (b): a small CNN (conv32-pool-conv64-pool-dense10, ReLU) on an MNIST subset with
 * PER on the conv feature maps, in both conv modes: `flatten` (one C·H·W vector per sample)
 * and `channels` (every spatial position a sample of the C channels). Short: one seed.
 *
 *   npx tsx examples/per-cnn.ts [--epochs 3] [--train 1000] [--test 500] [--lambdas 1e-4,1e-2] [--slices 64]
 *
 * Reports test error, the run time of each mode relative to vanilla, and the conv layers'
 * activation statistics (monitor in the `flatten` view: per position-and-channel unit).
 * `per:flatten:0` is the control with PER's batch order (PER draws from the run's generator,
 * which also shuffles). Writes examples/results/per-cnn.json.
 */
import { loadMnist } from '../src/index.js';
import { argument, exampleBackend, runOnce, writeJson, type RunResult } from './per-shared.js';

const epochs = Number(argument('epochs', '3'));
const lambdas = argument('lambdas', '1e-4,1e-2').split(',');
const slices = argument('slices', '64');
const data = loadMnist({
  trainSize: Number(argument('train', '1000')),
  testSize: Number(argument('test', '500')),
});
const backend = await exampleBackend();
const regs = [
  'none',
  `per:flatten:slices=${slices}:0`,
  ...lambdas.flatMap((l) => [
    `per:flatten:slices=${slices}:${l}`,
    `per:channels:slices=${slices}:${l}`,
  ]),
];

console.log(`backend ${backend}; cnn relu; ${epochs} epochs`);
const results: RunResult[] = [];
for (const reg of regs) {
  const result = await runOnce(
    {
      model: 'cnn',
      activation: 'relu',
      reg,
      seed: 1,
      epochs,
      batchSize: 64,
      learningRate: 1e-3,
      monitorSlices: 32,
    },
    data,
  );
  results.push(result);
  const last = result.monitors[result.monitors.length - 1];
  const stats = ['conv_1', 'conv_2'].map(
    (l) =>
      `${l} mean ${last[`${l}/mean`].toFixed(3)} var ${last[`${l}/var`].toFixed(3)} sw1 ${last[`${l}/sw1`].toFixed(3)}`,
  );
  console.log(
    `${reg.padEnd(28)} test error ${(100 * result.testError).toFixed(2)}%  PER ${result.finalTerm.toFixed(4)}  ${result.seconds.toFixed(1)} s (${(result.seconds / results[0].seconds).toFixed(2)}× vanilla)  ${stats.join('; ')}`,
  );
}
await writeJson('examples/results/per-cnn.json', {
  backend,
  epochs,
  lambdas,
  slices,
  runs: results,
});
