/**
 * Checkpoints: model weights, optimizer state, generator state and the epoch, written
 * atomically so an interrupted run resumes exactly where it stopped.
 *
 * Layout in the run folder: `checkpoint.json` (the manifest, renamed into place last) names
 * `checkpoint-<epoch>.bin` (model weights then optimizer weights, TF.js weight encoding).
 * A crash before the manifest's rename leaves the previous checkpoint intact.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import type { RandomState } from '../core/random.js';
import { pathExists, readJson, writeFileAtomic } from '../core/fs.js';

/** What a checkpoint restores besides tensors. */
export interface CheckpointState {
  /** Number of finished epochs. */
  epoch: number;
  /** Global step counter. */
  step: number;
  /** The trainer's generator streams by purpose (`shuffle`, `terms`). */
  rng: Record<string, RandomState>;
  /** Anything the caller wants back (history, config). */
  extra?: Record<string, unknown>;
}

interface Manifest extends CheckpointState {
  format: 'reglab-checkpoint-1';
  file: string;
  modelSpecs: tf.io.WeightsManifestEntry[];
  optimizerSpecs: tf.io.WeightsManifestEntry[];
}

const MANIFEST = 'checkpoint.json';

/** Saves a checkpoint into `dir`. */
export async function saveCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
): Promise<void> {
  const modelWeights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const optimizerWeights = await optimizer.getWeights();
  const encodedModel = await tf.io.encodeWeights(modelWeights);
  const encodedOptimizer = await tf.io.encodeWeights(optimizerWeights);
  const file = `checkpoint-${state.epoch}.bin`;
  const bytes = new Uint8Array(
    tf.io.concatenateArrayBuffers([encodedModel.data, encodedOptimizer.data]),
  );
  await writeFileAtomic(path.join(dir, file), bytes);
  const manifest: Manifest = {
    format: 'reglab-checkpoint-1',
    ...state,
    file,
    modelSpecs: encodedModel.specs,
    optimizerSpecs: encodedOptimizer.specs,
  };
  const previous = await fs.readFile(path.join(dir, MANIFEST), 'utf8').then(JSON.parse, () => null);
  await writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest));
  if (previous?.file && previous.file !== file)
    await fs.rm(path.join(dir, previous.file), { force: true });
}

/** Whether `dir` holds a checkpoint. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  return pathExists(path.join(dir, MANIFEST));
}

/**
 * Restores a checkpoint into `model` and `optimizer` (built the same way as when it was
 * saved) and returns the saved state.
 */
export async function loadCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
): Promise<CheckpointState> {
  const manifest = await readJson<Manifest>(path.join(dir, MANIFEST));
  if (manifest.format !== 'reglab-checkpoint-1') {
    throw new ReglabError(
      `${dir}/${MANIFEST} is not a reglab checkpoint`,
      'delete it to start afresh',
    );
  }
  const bytes = await fs.readFile(path.join(dir, manifest.file));
  const modelBytes = manifest.modelSpecs.reduce((sum, spec) => sum + byteSize(spec), 0);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const modelTensors = tf.io.decodeWeights(buffer.slice(0, modelBytes), manifest.modelSpecs);
  const optimizerTensors = tf.io.decodeWeights(buffer.slice(modelBytes), manifest.optimizerSpecs);
  for (const weight of model.weights) {
    const value = modelTensors[weight.originalName];
    if (!value) {
      throw new ReglabError(
        `checkpoint in ${dir} has no weight ${weight.originalName}`,
        'the model differs from the one that was saved; use the same --model',
      );
    }
    weight.write(value);
  }
  await optimizer.setWeights(
    manifest.optimizerSpecs.map((spec) => ({
      name: spec.name,
      tensor: optimizerTensors[spec.name],
    })),
  );
  tf.dispose(Object.values(modelTensors));
  return { epoch: manifest.epoch, step: manifest.step, rng: manifest.rng, extra: manifest.extra };
}

function byteSize(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const bytesPerValue: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  return count * (bytesPerValue[spec.dtype] ?? 4);
}
