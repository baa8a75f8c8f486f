/**
 * `npx tsx bench/twins.ts [--models mlp,cnn,resnet] [--backend native]` — checks that bench:compare's PyTorch twins
 * (bench/pytorch/models.py, methods.py) compute what reglab computes, not just similar work: the
 * zoo `mlp:256,256`, `cnn` and `resnet:20` (bench/cases.ts) with reglab's seeded weights and a
 * batch of 16 are handed to bench/pytorch/twins.py, which loads them into the twins (conv kernels
 * HWIO → OIHW, the dense rows after the cnn's flatten reordered from (h, w, c) to (c, h, w), the
 * ResNet's weights by name) and evaluates the same quantities, in training mode (the ResNet's
 * batch norm with batch statistics):
 *
 * - the logits, RR (start pre-softmax, ½·sum), DR (cosine), PER on given directions, SRIP on a
 *   given u (the random draws are what differs between the sides; here both get reglab's);
 * - two steps of constrained underdamped Langevin (orthogonal, circle 0.1; τ = 0, lr 0.01,
 *   μ 0.9) on the task loss, from the same weights: every weight after them (mlp);
 * - one momentum SGD step (lr 0.01, μ 0.9) on the task loss and one on task + RR λ 1e-5, as
 *   bench:compare's `resnet/std` and `resnet/rr` take them: the change of every trainable weight
 *   (resnet; this is what checks the twin's padding, shortcuts and reverse pass), and the batch
 *   norms' moving means after the RR step.
 *
 * Prints each quantity with its relative difference (max |torch − reglab| / max |reglab|; for a
 * list of weights, the worst weight, each on its own scale) and exits 1 when one exceeds its
 * tolerance ({@link TOLERANCE}). reglab runs on the `native` backend unless `--backend` names
 * another (`cpu` for the pure-JavaScript reference): on cpu the ResNet takes ~9 minutes on this
 * machine (native: the whole check ~20 s), and its float32 step there is 4.4e-2 (task) / 1.6e-2
 * (RR) from PyTorch's float64 step, above the 1e-2 allowed — the cpu backend's float32 sums
 * through 20 batch-norm gradients, not a twin difference (native, whose kernels npm test checks
 * against cpu: 5.5e-4 / 2.2e-3; PyTorch's own float32 step: 4.5e-3 / 6.6e-3). Needs Debian's
 * python3-torch (REGLAB_PYTHON overrides the interpreter).
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Random,
  Trainer,
  diversify,
  forwardTrace,
  kernelMatrix,
  langevin,
  per,
  racecar,
  selectBackend,
  type BackendName,
  type Batch,
} from '../src/index.js';
import { BENCH_MODELS, benchCase, type BenchModel } from './cases.js';

const N = 16;
type Kind = BenchModel;
const setup = (kind: Kind) => benchCase(kind, N);

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** reglab's side of one model: the weights, the inputs and every quantity compared. */
function reglabSide(kind: Kind): Record<string, unknown> {
  const { x, model, batch } = setup(kind);
  const weights = model.getWeights().map((w) => ({ shape: w.shape, values: values(w) }));
  const trace = forwardTrace(model, batch.x, true);
  const context = { trace, batch, model, rng: new Random(3), step: 0 };
  const drTerm = diversify.diversify({ lambda: 1, similarity: 'cosine' });
  drTerm.prepare(model);
  // PER's own term (its default sites) with 8 slices from Random(10); the same directions,
  // drawn again in the same order, go to the twin (flattened NHWC, as the term reads them).
  const perTerm = per.per({ lambda: 1, slices: 8 });
  perTerm.prepare(model);
  const perValue = perTerm.compute({ ...context, rng: new Random(10) }).dataSync()[0];
  const redraw = new Random(10);
  const directions = drTerm
    .sitesOf(model)
    .map((site) => trace.layers.find((layer) => layer.name === site.name)!.output)
    .map((h) => redraw.unitDirections(h.size / N, 8));
  const kernels = model.layers.flatMap((layer) =>
    layer.getWeights().filter((w) => w.shape.length > 1),
  );
  const us = kernels.map((k, i) =>
    new Random(20 + i).normalTensor([k.shape[k.shape.length - 1], 1]),
  );
  const srip = kernels.reduce(
    (sum, k, i) => sum + racecar.sripSquared(kernelMatrix(k), us[i]).dataSync()[0],
    0,
  );
  const result: Record<string, unknown> = {
    kind,
    x: Array.from(x),
    weights,
    weightNames: model.weights.map((w) => w.originalName),
    logits: values(trace.logits),
    rr: racecar.racecar({ lambda: 1 }).compute(context).dataSync()[0],
    dr: drTerm.compute(context).dataSync()[0],
    per: perValue,
    perDirections: directions.map(values),
    srip,
    sripU: us.map(values),
  };
  if (kind === 'resnet') Object.assign(result, resnetSteps());
  if (kind === 'mlp') {
    for (const [name, constraints] of [
      ['orthogonal', 'orthogonal@*'],
      ['circle', 'circle:0.1@*'],
    ]) {
      const run = setup(kind);
      const optimizer = new langevin.UnderdampedLangevin({ lr: 0.01, momentum: 0.9, constraints });
      const trainer = new Trainer({ model: run.model, optimizer, rng: new Random(3) });
      for (let step = 0; step < 2; step++) trainer.trainStep(run.batch as Batch);
      result[`${name}Weights`] = run.model.getWeights().map(values);
    }
  }
  return result;
}

/**
 * The ResNet's weights by name, and what one bench:compare step changes: a momentum SGD step
 * (lr 0.01, μ 0.9, batch statistics) from the same weights on the task loss (`taskStep`), and
 * on task + RR with the bench's λ 1e-5 (`rrStep`): the change of every trainable weight, in
 * `names` order (the weights themselves would hide a wrong gradient behind their own size).
 */
function resnetSteps(): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, terms] of [
    ['taskStep', []],
    ['rrStep', [racecar.racecar({ lambda: 1e-5 })]],
  ] as const) {
    const run = setup('resnet');
    const trainable = run.model.trainableWeights;
    const before = trainable.map((w) => values(w.read()));
    const optimizer = tf.train.momentum(0.01, 0.9);
    const trainer = new Trainer({
      model: run.model,
      optimizer,
      terms: [...terms],
      rng: new Random(3),
    });
    trainer.trainStep(run.batch as Batch);
    result[key] = trainable.map((w, i) => values(w.read()).map((v, j) => v - before[i][j]));
    result.names = trainable.map((w) => w.originalName);
    // The moving means after the RR step: the reverse pass must not move them (its BN uses the
    // reverse tensor's batch statistics without updating anything). The moving variances are not
    // compared: TF.js averages the biased batch variance, PyTorch the unbiased one.
    const means = run.model.weights.filter((w) => w.originalName.endsWith('/moving_mean'));
    result.movingMeanNames = means.map((w) => w.originalName);
    if (key === 'rrStep') result.rrMovingMeans = means.map((w) => values(w.read()));
    run.model.dispose();
    optimizer.dispose();
  }
  return result;
}

/**
 * Allowed relative difference per quantity (default 1e-4: float32 on both sides, different
 * summation orders). The ResNet's steps are compared with PyTorch's float64 step (twins.py
 * `resnet_step`): PyTorch's own float32 step differs from it by 4e-3–7e-3 on this case.
 */
const TOLERANCE: Readonly<Record<string, number>> = { taskStep: 1e-2, rrStep: 1e-2 };

/** A number or (nested) array of numbers as one flat list. */
const flat = (v: unknown): number[] => (Array.isArray(v) ? (v.flat(2) as number[]) : [v as number]);

function relativeDifference(a: number[], b: number[]): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1e-30;
  let worst = 0;
  b.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, Math.abs(a[i] - v));
  });
  return worst / scale;
}

/**
 * A list of arrays (every weight of a model) is compared array by array, each against its own
 * scale, and the worst is reported: a small weight (a BN β, a bias) is not hidden behind a large one.
 */
function difference(theirs: unknown, ours: unknown): number {
  if (Array.isArray(ours) && Array.isArray(ours[0]) && Array.isArray(theirs))
    return theirs.length !== ours.length
      ? Infinity
      : Math.max(...ours.map((o, i) => relativeDifference(flat(theirs[i]), flat(o))));
  return relativeDifference(flat(theirs), flat(ours));
}

async function main(): Promise<void> {
  const option = (name: string, fallback: string) => {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? process.argv[at + 1] : fallback;
  };
  const kinds = option('models', 'mlp,cnn,resnet').split(',') as Kind[];
  for (const kind of kinds)
    if (!(kind in BENCH_MODELS))
      throw new Error(`--models: unknown model ${kind} (${Object.keys(BENCH_MODELS).join(', ')})`);
  // selectBackend refuses an unknown name with the list of backends.
  await selectBackend(option('backend', 'native') as BackendName, { log: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reglab-twins-'));
  let failed = false;
  try {
    for (const kind of kinds) {
      const ours = reglabSide(kind);
      const file = path.join(dir, `${kind}.json`);
      writeFileSync(file, JSON.stringify(ours));
      const python = process.env.REGLAB_PYTHON ?? '/usr/bin/python3';
      const script = fileURLToPath(new URL('./pytorch/twins.py', import.meta.url));
      const run = spawnSync(python, [script, file], {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      });
      if (run.status !== 0) throw new Error(`${python} twins.py failed: ${run.stderr.trim()}`);
      const theirs = JSON.parse(readFileSync(`${file}.torch.json`, 'utf8')) as Record<
        string,
        unknown
      >;
      for (const key of Object.keys(theirs)) {
        const differs = difference(theirs[key], ours[key]);
        const ok = differs <= (TOLERANCE[key] ?? 1e-4);
        failed ||= !ok;
        console.log(
          `${kind.padEnd(6)} ${key.padEnd(18)} ${differs.toExponential(2).padStart(9)}  ${ok ? 'ok' : 'DIFFERS'}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

await main();
