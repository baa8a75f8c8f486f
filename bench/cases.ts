/**
 * The models, data and batch that bench:compare (bench/compare-worker.ts) trains and that
 * bench/twins.ts checks against the PyTorch twins (bench/pytorch/models.py): one definition, so
 * the twin check runs on exactly what the comparison times.
 *
 * Inputs are seeded uniform [0, 1) draws (`Random(1)`), labels `i mod 10`, weights seeded from
 * `Random(2)`: MNIST-shaped 28×28×1 (784) for `mlp` and `cnn`, CIFAR-shaped 32×32×3 for
 * `resnet` (zoo `resnet:20`).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { Random, buildModel, makeBatch, makeDataset, type Batch } from '../src/index.js';

/** The zoo models bench:compare trains. */
export type BenchModel = 'mlp' | 'cnn' | 'resnet';

/** Each model's zoo spec and sample shape. */
export const BENCH_MODELS: Readonly<
  Record<BenchModel, { readonly spec: string; readonly sampleShape: readonly number[] }>
> = {
  mlp: { spec: 'mlp:256,256', sampleShape: [784] },
  cnn: { spec: 'cnn', sampleShape: [28, 28, 1] },
  resnet: { spec: 'resnet:20', sampleShape: [32, 32, 3] },
};

/** One bench case's model and its fixed batch of `size` samples (see the file comment). */
export function benchCase(
  kind: BenchModel,
  size: number,
): { x: Float32Array; model: tfl.LayersModel; batch: Batch } {
  const { spec, sampleShape } = BENCH_MODELS[kind];
  const rng = new Random(1);
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: size * sampleSize }, () => rng.uniform());
  const labels = Int32Array.from({ length: size }, (_, i) => i % 10);
  const data = makeDataset({
    name: 'bench',
    x,
    labels,
    sampleShape: [...sampleShape],
    numClasses: 10,
  });
  const model = buildModel(spec, {
    inputShape: [...sampleShape],
    numClasses: 10,
    rng: new Random(2),
  });
  const batch = makeBatch(
    data,
    Int32Array.from({ length: size }, (_, i) => i),
  );
  return { x, model, batch };
}
