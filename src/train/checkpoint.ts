/**
 * Checkpoints: model weights, optimizer state, generator state and the epoch, written
 * atomically so an interrupted run resumes exactly where it stopped.
 *
 * Layout in the run folder: `checkpoint.json` (the manifest) names `checkpoint-<epoch>.bin`
 * (model weights then optimizer weights, TF.js weight encoding). Saving writes the new `.bin`,
 * then renames the new manifest over the old one — that rename is the epoch's one commit point —
 * then deletes the previous `.bin`. A crash before the rename leaves the previous checkpoint
 * intact (and an orphan `.bin`, which {@link removeStaleCheckpoints} deletes); a crash after it
 * loses nothing: everything else a run folder holds about the epoch (its metrics line) is
 * rebuilt from the manifest's `extra` (lab/run.ts).
 *
 * Formats: `reglab-checkpoint-1` (no optimizer resume state: an Adam run resumes within a few
 * float32 roundings, with a warning) and `reglab-checkpoint-2` (adds `optimizerState`, see
 * {@link optimizerResumeState}); both are read, the manifest checked against its schema.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { randomStateSchema, type RandomState } from '../core/random.js';
import { crashPoint, pathExists, writeFileAtomic } from '../core/fs.js';
import {
  array,
  integer,
  number,
  object,
  oneOf,
  optional,
  readChecked,
  record,
  string,
  type Infer,
} from '../core/schema.js';
import {
  optimizerResumeState,
  restoreOptimizerResumeState,
  type OptimizerResumeState,
} from './optimizers.js';

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

const CHECKPOINT_FORMAT = 'reglab-checkpoint-2';

const WeightSpec = object({
  name: string,
  shape: array(integer),
  dtype: oneOf('float32', 'int32', 'bool'),
});

/** The manifest `checkpoint.json`, as read (checked) and written. */
const Manifest = object({
  format: oneOf('reglab-checkpoint-1', CHECKPOINT_FORMAT),
  epoch: integer,
  step: integer,
  rng: record(randomStateSchema),
  extra: optional(record((value: unknown) => value)),
  optimizerState: optional(record(number)),
  file: string,
  modelSpecs: array(WeightSpec),
  optimizerSpecs: array(WeightSpec),
});
type Manifest = Infer<typeof Manifest>;

const MANIFEST = 'checkpoint.json';
const DATA_FILE = /^checkpoint-\d+\.bin$/;

/** Saves a checkpoint into `dir` (see the file comment for the order of the writes). */
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
  const manifest = {
    format: CHECKPOINT_FORMAT,
    ...state,
    optimizerState: optimizerResumeState(optimizer) satisfies OptimizerResumeState,
    file,
    modelSpecs: encodedModel.specs,
    optimizerSpecs: encodedOptimizer.specs,
  };
  await writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest));
  crashPoint('checkpoint:written');
  await removeStaleCheckpoints(dir);
  crashPoint('checkpoint:committed');
}

/** Whether `dir` holds a checkpoint. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  return pathExists(path.join(dir, MANIFEST));
}

const MANIFEST_HINT =
  'the checkpoint is damaged; delete checkpoint.json (and checkpoint-*.bin) to restart the run from epoch 0';

/** The checked manifest of the checkpoint in `dir`. */
async function readManifest(dir: string): Promise<Manifest> {
  return readChecked(path.join(dir, MANIFEST), Manifest, MANIFEST_HINT);
}

/** The state a checkpoint in `dir` restores, without its tensors (undefined when none). */
export async function readCheckpointState(dir: string): Promise<CheckpointState | undefined> {
  if (!(await hasCheckpoint(dir))) return undefined;
  const { epoch, step, rng, extra } = await readManifest(dir);
  return { epoch, step, rng, extra };
}

/**
 * Deletes the `checkpoint-<epoch>.bin` files the manifest does not name (the previous epoch's,
 * or a new one whose manifest never got renamed into place); returns their names.
 */
export async function removeStaleCheckpoints(dir: string): Promise<string[]> {
  const current = (await hasCheckpoint(dir)) ? (await readManifest(dir)).file : undefined;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => DATA_FILE.test(name) && name !== current);
  for (const name of stale) await fs.rm(path.join(dir, name), { force: true });
  return stale;
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
  const manifest = await readManifest(dir);
  const dataFile = path.join(dir, manifest.file);
  const bytes = await fs.readFile(dataFile).catch(() => {
    throw new ReglabError(
      `${dir}/${MANIFEST} names ${manifest.file}, which is missing`,
      MANIFEST_HINT,
    );
  });
  const modelBytes = manifest.modelSpecs.reduce((sum, spec) => sum + byteSize(spec), 0);
  const optimizerBytes = manifest.optimizerSpecs.reduce((sum, spec) => sum + byteSize(spec), 0);
  if (bytes.byteLength !== modelBytes + optimizerBytes)
    throw new ReglabError(
      `${dataFile} has ${bytes.byteLength} bytes, but its manifest describes ${modelBytes + optimizerBytes}`,
      MANIFEST_HINT,
    );
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const modelTensors = tf.io.decodeWeights(buffer.slice(0, modelBytes), manifest.modelSpecs);
  const optimizerTensors = tf.io.decodeWeights(buffer.slice(modelBytes), manifest.optimizerSpecs);
  try {
    for (const weight of model.weights) {
      const value = modelTensors[weight.originalName];
      if (!value || !tf.util.arraysEqual(value.shape, weight.read().shape)) {
        throw new ReglabError(
          `checkpoint in ${dir} has no weight ${weight.originalName} [${weight.shape}]`,
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
    restoreOptimizerResumeState(optimizer, manifest.optimizerState);
  } finally {
    // the optimizers' variables share (and count) the data of the decoded tensors
    tf.dispose([...Object.values(modelTensors), ...Object.values(optimizerTensors)]);
  }
  return { epoch: manifest.epoch, step: manifest.step, rng: manifest.rng, extra: manifest.extra };
}

function byteSize(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const bytesPerValue: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  return count * (bytesPerValue[spec.dtype] ?? 4);
}
