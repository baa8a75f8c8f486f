/**
 * Atomic file writes and a file-system IOHandler for TF.js models in Node (tfjs-node's
 * `file://` handler is not available without tfjs-node).
 *
 * Every write goes to a temporary file in the same folder and is renamed over the target, so
 * a crash mid-write never leaves a half-written checkpoint or model behind.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../core/errors.js';

/** Writes `data` to `file` atomically (temp file + rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temporary, data);
  await fs.rename(temporary, file);
}

/** Whether `file` (or folder) exists. */
export async function pathExists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Reads and parses a JSON file, with an error naming the file when it is missing or corrupt. */
export async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ReglabError(`cannot read ${file}`, 'check the path (is it a reglab run folder?)');
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ReglabError(
      `${file} is not valid JSON (${(err as Error).message})`,
      'the file is corrupt; re-create it',
    );
  }
}

function concatenate(buffer: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  return new Uint8Array(Array.isArray(buffer) ? tf.io.concatenateArrayBuffers(buffer) : buffer);
}

/**
 * A TF.js IOHandler that saves a model as `DIR/model.json` + `DIR/weights.bin` (the layout
 * `tf.loadLayersModel` reads) and loads it back.
 */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  const modelFile = path.join(dir, 'model.json');
  const weightsFile = path.join(dir, 'weights.bin');
  return {
    async save(artifacts) {
      const weights = artifacts.weightData ? concatenate(artifacts.weightData) : new Uint8Array();
      await writeFileAtomic(weightsFile, weights);
      const { weightData: _weightData, ...rest } = artifacts;
      const manifest = {
        ...rest,
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(modelFile, JSON.stringify(manifest));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      const manifest = await readJson<tf.io.ModelJSON>(modelFile);
      const weightSpecs = manifest.weightsManifest.flatMap((group) => group.weights);
      const bytes = await fs.readFile(weightsFile).catch(() => {
        throw new ReglabError(
          `cannot read ${weightsFile}`,
          'the model folder needs model.json and weights.bin',
        );
      });
      const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      return { ...manifest, weightSpecs, weightData };
    },
  };
}
