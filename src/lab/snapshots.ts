/**
 * Reverse-pass reconstructions during training (the CLI's `--snapshots N`): every N epochs a
 * PNG grid `dir/reconstructions-epoch-<e>.png` of the first k samples beside what the network
 * reconstructs from them, so one can watch racecar training make d'_1 readable.
 *
 * The reconstruction function is a parameter — `reconstruct` from `src/racecar` in the CLI,
 * anything with the same signature in tests or for other reverse passes.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check } from '../core/errors.js';
import { datasetSize, subset, type Dataset } from '../data/dataset.js';
import {
  autoUpscale,
  imagesFromArray,
  inputsBesideReconstructions,
  type GridLayout,
  type ImageScale,
} from '../analysis/images.js';
import { writePngGrid } from '../analysis/png.js';
import type { EpochMetrics, TrainerCallbacks } from '../train/trainer.js';

/** A reverse pass: inputs `x` → a tensor shaped like `x` (racecar's d'_1), owned by the caller. */
export type ReconstructFunction = (model: tfl.LayersModel, x: tf.Tensor) => tf.Tensor;

/** How a reconstruction grid is drawn. */
export interface ReconstructionGridOptions {
  /** Input/reconstruction pairs per row (default 4). */
  pairsPerRow?: number;
  /** Per-image mapping to [0, 1] (default `minmax`: every tile stretched to its own range). */
  scale?: ImageScale;
  /** Magnification (default: tiles at least 56 px). */
  upscale?: number;
}

/**
 * The first `count` samples of `samples` beside their reconstructions, as a grid layout.
 * Every tensor made here is disposed before it returns.
 */
export async function reconstructionLayout(
  model: tfl.LayersModel,
  samples: Dataset,
  reconstruct: ReconstructFunction,
  count = 16,
  pairsPerRow = 4,
): Promise<GridLayout> {
  check(datasetSize(samples) > 0, `data set ${samples.name} has no samples to reconstruct`);
  const shown = subset(samples, count);
  const n = datasetSize(shown);
  const x = tf.tensor(shown.x, [n, ...shown.sampleShape]);
  let reconstruction: tf.Tensor | undefined;
  let values: Float32Array;
  try {
    reconstruction = tf.tidy(() => reconstruct(model, x));
    check(
      reconstruction.size === x.size,
      `the reconstruction has shape [${reconstruction.shape}], the inputs [${x.shape}]`,
      'a reconstruct function must return a tensor shaped like its input',
    );
    values = (await reconstruction.data()) as Float32Array;
  } finally {
    tf.dispose([x, ...(reconstruction ? [reconstruction] : [])]);
  }
  const inputs = imagesFromArray(shown.x, shown.sampleShape, n);
  return inputsBesideReconstructions(
    inputs,
    imagesFromArray(values, shown.sampleShape, n),
    pairsPerRow,
  );
}

/** Writes the grid of {@link reconstructionLayout} to `file` (PNG, atomic). */
export async function writeReconstructionGrid(
  file: string,
  model: tfl.LayersModel,
  samples: Dataset,
  reconstruct: ReconstructFunction,
  count = 16,
  options: ReconstructionGridOptions = {},
): Promise<GridLayout> {
  const layout = await reconstructionLayout(
    model,
    samples,
    reconstruct,
    count,
    options.pairsPerRow,
  );
  await writePngGrid(file, layout.images, {
    columns: layout.columns,
    scale: options.scale ?? 'minmax',
    padding: 1,
    upscale: options.upscale ?? autoUpscale(layout.images[0]),
  });
  return layout;
}

/** Options of {@link reconstructionSnapshots}. */
export interface SnapshotOptions extends ReconstructionGridOptions {
  /** The model being trained. */
  model: tfl.LayersModel;
  /** Write a grid after every `every`-th epoch (epochs e with e mod every = 0). */
  every: number;
  /** Folder for `reconstructions-epoch-<e>.png`. */
  dir: string;
  /** Data set whose first `count` samples are shown (usually the test set). */
  samples: Dataset;
  /** Number of samples shown (default 16). */
  count?: number;
  reconstruct: ReconstructFunction;
}

/** The file a snapshot of epoch `epoch` is written to. */
export function snapshotFile(dir: string, epoch: number): string {
  return path.join(dir, `reconstructions-epoch-${epoch}.png`);
}

/**
 * Trainer callbacks writing `dir/reconstructions-epoch-<e>.png` after every `every`-th epoch
 * (for `new Trainer({callbacks})` or `trainer.addCallbacks`).
 */
export function reconstructionSnapshots(
  options: SnapshotOptions,
): Required<Pick<TrainerCallbacks, 'onEpochEnd'>> {
  check(
    Number.isInteger(options.every) && options.every > 0,
    `--snapshots ${options.every} is not a positive integer`,
    'pass the number of epochs between snapshots, e.g. --snapshots 5',
  );
  // Copy the shown samples once, so a large test set is not sliced every time.
  const samples = subset(options.samples, options.count ?? 16);
  return {
    async onEpochEnd(metrics: EpochMetrics): Promise<void> {
      if (metrics.epoch % options.every !== 0) return;
      await writeReconstructionGrid(
        snapshotFile(options.dir, metrics.epoch),
        options.model,
        samples,
        options.reconstruct,
        options.count,
        options,
      );
    },
  };
}
