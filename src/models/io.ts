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
      const manifest = checkManifest(await readJson<unknown>(modelFile), modelFile);
      const weightSpecs = manifest.weightsManifest.flatMap((group) => group.weights);
      const bytes = await fs.readFile(weightsFile).catch(() => {
        throw new ReglabError(
          `cannot read ${weightsFile}`,
          'the model folder needs model.json and weights.bin',
        );
      });
      const expected = weightSpecs.reduce((sum, spec) => sum + weightBytes(spec, modelFile), 0);
      if (bytes.byteLength !== expected)
        throw new ReglabError(
          `${weightsFile} has ${bytes.byteLength} bytes but ${modelFile} lists ${weightSpecs.length} weights of ${expected} bytes (the file is ${bytes.byteLength < expected ? 'truncated' : 'too long'})`,
          'the two files do not belong together or one is damaged: re-run the training that wrote them (reglab train resumes from its checkpoint)',
        );
      const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      return { ...manifest, weightSpecs, weightData };
    },
  };
}

/** Bytes per value of the dtypes a weights manifest may list. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** The size of one weight in `weights.bin`. */
function weightBytes(spec: tf.io.WeightsManifestEntry, modelFile: string): number {
  const per = DTYPE_BYTES[spec.dtype];
  if (spec.quantization || per === undefined)
    throw new ReglabError(
      `${modelFile}: weight ${spec.name} is stored as ${spec.quantization ? `quantized ${spec.quantization.dtype}` : spec.dtype}, which reglab does not read`,
      'save the model with float32 weights (as reglab train does)',
    );
  return per * spec.shape.reduce((a, b) => a * b, 1);
}

/** Checks the parts of a `model.json` that loading needs, naming the file when one is missing. */
function checkManifest(json: unknown, file: string): tf.io.ModelJSON {
  const manifest = json as Partial<tf.io.ModelJSON> | null;
  const fix = 'the file is damaged or not a TF.js layers model: re-run the training that wrote it';
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw new ReglabError(`${file} is not a model.json (not a JSON object)`, fix);
  if (typeof manifest.modelTopology !== 'object' || manifest.modelTopology === null)
    throw new ReglabError(`${file} has no modelTopology`, fix);
  const groups = manifest.weightsManifest;
  const specsOk =
    Array.isArray(groups) &&
    groups.every(
      (group) =>
        Array.isArray(group?.weights) &&
        group.weights.every(
          (w) =>
            typeof w?.name === 'string' &&
            typeof w.dtype === 'string' &&
            Array.isArray(w.shape) &&
            w.shape.every((d) => Number.isInteger(d) && d >= 0),
        ),
    );
  if (!specsOk)
    throw new ReglabError(`${file} has no valid weightsManifest (names, shapes, dtypes)`, fix);
  return manifest as tf.io.ModelJSON;
}

/** What {@link copyWeightsFrom} did. */
export interface WeightCopy {
  /** Layers whose weights were copied. */
  copied: string[];
  /** Weight layers of the model that the source does not have: they keep their initial weights. */
  kept: string[];
}

/**
 * Copies the weights of a saved model (a run or pretrain folder, or a model.json) into `model`,
 * layer by layer, by name. Every weight layer of the source must exist in `model` with the same
 * weight shapes (a layer that is missing or shaped differently is an error naming it: copying
 * around it would train something else than asked); layers of `model` the source lacks keep
 * their initial weights (a pretrained stack has no output layer of the task), and the report
 * says which.
 * @throws ReglabError when the source cannot be read, or when nothing or not everything fits.
 */
export async function copyWeightsFrom(model: tfl.LayersModel, source: string): Promise<WeightCopy> {
  const file = source.endsWith('.json') ? source : path.join(source, 'model.json');
  const saved = await loadModel(file);
  try {
    const weightLayers = (m: tfl.LayersModel) => m.layers.filter((l) => l.weights.length > 0);
    const targets = weightLayers(model);
    const sources = weightLayers(saved);
    const missing = sources.filter((l) => !targets.some((t) => t.name === l.name));
    if (missing.length > 0)
      throw new ReglabError(
        `--init ${source}: the model has no layer ${missing.map((l) => l.name).join(', ')} (its weight layers are ${targets.map((l) => l.name).join(', ') || 'none'})`,
        'initialise from a run with the same architecture and layer names (or a pretrained stack with matching widths)',
      );
    for (const layer of sources) {
      const target = targets.find((l) => l.name === layer.name)!;
      const shapes = (l: tfl.layers.Layer) => l.weights.map((w) => w.shape.join('x')).join(',');
      if (shapes(target) !== shapes(layer))
        throw new ReglabError(
          `--init ${source}: layer ${layer.name} has weights [${shapes(layer)}] but the model has [${shapes(target)}]`,
          'initialise from a run with the same architecture (or a pretrained stack with matching widths)',
        );
    }
    for (const layer of sources) {
      const weights = layer.getWeights();
      targets.find((l) => l.name === layer.name)!.setWeights(weights);
    }
    const copied = sources.map((l) => l.name);
    return { copied, kept: targets.map((l) => l.name).filter((name) => !copied.includes(name)) };
  } finally {
    saved.dispose();
  }
}

/** Whether `spec` names a saved model rather than a zoo entry. */
export function isModelPath(spec: string): boolean {
  return spec.endsWith('.json');
}

/** Loads a saved TF.js model (`model.json` + `weights.bin`, as reglab writes them). */
export async function loadModel(modelJson: string): Promise<tfl.LayersModel> {
  const handler = fileSystemHandler(path.dirname(modelJson));
  // The files are checked by the handler; what TF.js still refuses is the topology itself.
  const artifacts = await handler.load!();
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    if (err instanceof ReglabError) throw err;
    throw new ReglabError(
      `${modelJson} cannot be loaded as a TF.js layers model (${(err as Error).message})`,
      'the file is damaged or was written by another program: re-run the training that wrote it',
    );
  }
}

/** Builds a zoo model or loads a saved one. */
export async function createModel(spec: string, options: ModelOptions): Promise<tfl.LayersModel> {
  return isModelPath(spec) ? loadModel(spec) : buildModel(spec, options);
}
