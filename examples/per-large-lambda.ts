/**
 * The Jensen bound in practice. f is convex and E_θ θ = 0, so for every sample
 * E_θ f(⟨θ, h⟩) ≥ f(E_θ⟨θ, h⟩) = f(0) = √(2/π) ≈ 0.7979, with equality only when ⟨θ, h⟩ is
 * constant, i.e. h = 0 — not at h ~ N(0, I) (there L_per ≈ √(2/π)·√2 ≈ 1.128 for large d). A small λ
 * nudges the activation distribution; a large λ makes PER the dominant loss and it shrinks the
 * activations towards 0 instead of matching N(0, I).
 *
 *   npx tsx examples/per-large-lambda.ts [--epochs 3] [--lambdas 0,1e-3,1e-1,1,10]
 *
 * A 4-hidden-layer ELU MLP of width 128 on 2,000 MNIST images, one seed per λ; reports test
 * error, the final PER value (per layer, summed over 4 layers: floor 4·√(2/π) = 3.19) and the
 * per-layer activation mean and variance. Writes examples/results/per-large-lambda.json.
 */
import { loadMnist } from '../src/index.js';
import { argument, exampleBackend, runOnce, writeJson, type RunResult } from './per-shared.js';

const epochs = Number(argument('epochs', '3'));
const lambdas = argument('lambdas', '0,1e-3,1e-1,1,10').split(',');
const data = loadMnist({ trainSize: 2000, testSize: 1000 });
const backend = await exampleBackend();
const layers = ['dense_1', 'dense_2', 'dense_3', 'dense_4'];

console.log(
  `backend ${backend}; mlp:128×4 elu; ${epochs} epochs; floor of the summed PER = ${(4 * Math.sqrt(2 / Math.PI)).toFixed(4)}`,
);
const results: RunResult[] = [];
for (const lambda of lambdas) {
  // λ = 0 still computes PER (weight 0) so that its value is reported.
  const result = await runOnce(
    {
      model: 'mlp:128,128,128,128',
      activation: 'elu',
      reg: `per:${lambda}`,
      seed: 1,
      epochs,
      batchSize: 128,
      learningRate: 1e-3,
    },
    data,
  );
  results.push(result);
  const last = result.monitors[result.monitors.length - 1];
  const stats = layers
    .map((l) => `${last[`${l}/mean`].toFixed(3)}/${last[`${l}/var`].toFixed(4)}`)
    .join('  ');
  console.log(
    `λ=${lambda.padEnd(5)} test error ${(100 * result.testError).toFixed(2)}%  PER(sum) ${result.finalTerm.toFixed(4)}  mean/var per layer: ${stats}`,
  );
}
await writeJson('examples/results/per-large-lambda.json', { backend, epochs, runs: results });
