/**
 * Saving and loading TF.js models in Node: a file-system IOHandler (tfjs-node's `file://`
 * handler is not available without tfjs-node) writing `DIR/model.json` + `DIR/weights.bin`
 * atomically, `loadModel`, and `createModel` (a zoo spec or the path of a saved model).
 *
 * Importing this module registers reglab's custom layers with `tf.serialization` (through
 * `./residual.js`), so a saved model that uses them loads whatever else was imported.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { readJson, writeFileAtomic } from '../core/fs.js';
import './residual.js';
import './shortcut.js';
import { buildModel, type ModelOptions } from './zoo.js';

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

/** Whether `spec` names a saved model rather than a zoo entry. */
export function isModelPath(spec: string): boolean {
  return spec.endsWith('.json');
}

/** Loads a saved TF.js model (`model.json` + `weights.bin`, as reglab writes them). */
export async function loadModel(modelJson: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileSystemHandler(path.dirname(modelJson)));
}

/** Builds a zoo model or loads a saved one. */
export async function createModel(spec: string, options: ModelOptions): Promise<tfl.LayersModel> {
  return isModelPath(spec) ? loadModel(spec) : buildModel(spec, options);
}
