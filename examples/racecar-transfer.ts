/**
 * Racecar example (c): generalization and transfer on a small MNIST subset, Std vs Ort vs RR,
 * run by the lab's experiment runner (`reglab compare`: methods × seeds in parallel worker
 * processes, then mean ± std, 95% CI and paired tests against `std`). This file only holds the
 * two command lines; docs/racecar.md has their results.
 *
 * 1,000 training / 2,000 (MLP) or 1,000 (CNN) test images, pixels in [0, 1], Adam lr 1e-3,
 * batch 128, softmax cross-entropy on the logits; then every trained model is fine-tuned (same
 * terms) on digits rotated by 45° and evaluated on the rotated test set. λ: with [0, 1] pixels
 * and the sum reduction the racecar term of an MLP 784-256-10 is ~6,500 per batch of 128
 * against a task loss of ~1–2, so λ = 1e-5 makes it ~5% of the loss and 1e-4 ~40%; both are
 * run, from the last value before the softmax (the default, as the official code) and from the
 * softmax probabilities (`racecar:probabilities:…`, our variant).
 *
 *   npx tsx examples/racecar-transfer.ts [mlp|cnn|both]      (default both; runs/racecar-c-{mlp,cnn}/)
 *
 * Finished runs in the experiment folder are skipped, so an interrupted call resumes.
 */
import { spawnSync } from 'node:child_process';

const COMMON = [
  '--dataset',
  'mnist',
  '--train-size',
  '1000',
  '--seeds',
  '5',
  '--transfer-to',
  'rotate:45',
  '--backend',
  'wasm',
  '--workers',
  '1',
];

const EXPERIMENTS: Record<string, string[]> = {
  mlp: [
    ...COMMON,
    ...['--test-size', '2000', '--model', 'mlp:256', '--epochs', '10', '--transfer-epochs', '5'],
    ...['--method', 'std', '--method', 'ort:0.1', '--method', 'racecar:1e-5|1e-4'],
    ...['--method', 'racecar:probabilities:1e-5|1e-4', '--out', 'runs/racecar-c-mlp'],
  ],
  // Smaller budget (the CNN step is ~20× the MLP's), one λ per start.
  cnn: [
    ...COMMON,
    ...['--test-size', '1000', '--model', 'cnn', '--epochs', '4', '--transfer-epochs', '2'],
    ...['--method', 'std', '--method', 'ort:0.1', '--method', 'racecar:1e-5'],
    ...['--method', 'racecar:probabilities:1e-5', '--out', 'runs/racecar-c-cnn'],
  ],
};

const which = process.argv[2] ?? 'both';
const names = which === 'both' ? Object.keys(EXPERIMENTS) : [which];
for (const name of names) {
  const args = EXPERIMENTS[name];
  if (!args) throw new Error(`unknown experiment "${name}": use mlp, cnn or both`);
  console.log(
    `\n$ npx tsx src/cli/main.ts compare ${args.map((a) => (a.includes('|') ? `"${a}"` : a)).join(' ')}`,
  );
  const result = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'compare', ...args], {
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
