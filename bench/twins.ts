/**
 * `npx tsx bench/twins.ts` — checks that bench:compare's PyTorch twins (bench/pytorch/methods.py)
 * compute what reglab computes, not just similar work: the zoo `mlp:256,256` and `cnn` with
 * reglab's seeded weights and a batch of 16 are handed to bench/pytorch/twins.py, which loads
 * them into bench/pytorch/models.py (conv kernels HWIO → OIHW, the dense rows after the flatten
 * reordered from (h, w, c) to (c, h, w)) and evaluates the same quantities:
 *
 * - the logits, RR (start pre-softmax, ½·sum), DR (cosine), PER on given directions, SRIP on a
 *   given u (the random draws are what differs between the sides; here both get reglab's);
 * - two steps of constrained underdamped Langevin (orthogonal, circle 0.1; τ = 0, lr 0.01,
 *   μ 0.9) on the task loss, from the same weights: every weight after them.
 *
 * Prints each quantity with its relative difference (max |torch − reglab| / max |reglab|) and
 * exits 1 when one exceeds 1e-4 (float32 on both sides, different summation orders). Needs
 * Debian's python3-torch (REGLAB_PYTHON overrides the interpreter).
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
  buildModel,
  diversify,
  forwardTrace,
  kernelMatrix,
  langevin,
  makeBatch,
  makeDataset,
  per,
  racecar,
  selectBackend,
  type Batch,
} from '../src/index.js';

const N = 16;
type Kind = 'mlp' | 'cnn';

function setup(kind: Kind) {
  const rng = new Random(1);
  const sampleShape = kind === 'mlp' ? [784] : [28, 28, 1];
  const x = Float32Array.from({ length: N * 784 }, () => rng.uniform());
  const labels = Int32Array.from({ length: N }, (_, i) => i % 10);
  const data = makeDataset({ name: 'twins', x, labels, sampleShape, numClasses: 10 });
  const model = buildModel(kind === 'mlp' ? 'mlp:256,256' : 'cnn', {
    inputShape: sampleShape,
    numClasses: 10,
    rng: new Random(2),
  });
  const batch = makeBatch(
    data,
    Int32Array.from({ length: N }, (_, i) => i),
  );
  return { x, model, batch };
}

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
    logits: values(trace.logits),
    rr: racecar.racecar({ lambda: 1 }).compute(context).dataSync()[0],
    dr: drTerm.compute(context).dataSync()[0],
    per: perValue,
    perDirections: directions.map(values),
    srip,
    sripU: us.map(values),
  };
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

async function main(): Promise<void> {
  await selectBackend('cpu', { log: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reglab-twins-'));
  let failed = false;
  try {
    for (const kind of ['mlp', 'cnn'] as const) {
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
        const difference = relativeDifference(flat(theirs[key]), flat(ours[key]));
        const ok = difference <= 1e-4;
        failed ||= !ok;
        console.log(
          `${kind.padEnd(4)} ${key.padEnd(18)} ${difference.toExponential(2).padStart(9)}  ${ok ? 'ok' : 'DIFFERS'}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

await main();
