/**
 * One lab run inside the worker: the data, the model and the library's {@link Trainer}, built
 * from the settings exactly as `reglab train` builds them (lab/setup.ts), and the views computed
 * from the live model with the library's own analysis: reverse-pass reconstructions
 * (racecar `reconstruct`), the first layer's singular vectors (`firstLayerSingularImages`), the
 * activation statistics and information plane (the `activations` and `mi` monitors, through the
 * same registries as `--track`), and the Langevin optimizers' constraint residuals.
 *
 * Steps follow `Trainer.fit`'s batch order (one shuffled permutation per epoch from the run's
 * `shuffle` stream), so the same seed gives the same run, step by step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  LangevinOptimizer,
  Random,
  batchIndices,
  buildModel,
  builtinRegistries,
  checkReversible,
  datasetSize,
  disposeBatch,
  firstLayerSingularImages,
  makeBatch,
  readsLearningRate,
  reconstruct,
  runModelOptions,
  runTrainer,
  specName,
  subset,
  type DataSplit,
  type Dataset,
  type RunConfig,
  type StepResult,
  type Trainer,
} from '../../../src/browser.js';
import type { Picture, Views } from '../protocol.js';
import type { LabSettings } from '../settings.js';

/** Test images shown beside their reconstructions. */
const RECONSTRUCTED = 8;
/** Singular vectors drawn (the spectrum shows all σ). */
const SINGULAR_SHOWN = 16;
/** Test images the information plane needs at least (its kNN estimators use k = 3 neighbours). */
export const MI_MIN_SAMPLES = 10;

/**
 * The canonical run config of the settings, checked by the registries (an unknown spec word is an
 * error before anything is built), and notes on what the settings ask for that the run does not
 * use (a learning rate the optimizer ignores, the information plane on too few test images).
 */
export function labRun(
  settings: LabSettings,
  data: DataSplit,
): { config: RunConfig; notes: string[] } {
  const testSize = datasetSize(data.test);
  const registries = builtinRegistries();
  const optimizer = registries.optimizers.canonical(settings.optimizer);
  const reads = readsLearningRate(specName(optimizer));
  const notes = [
    ...(reads
      ? []
      : [
          `learning rate ${settings.lr} unused: ${specName(optimizer)} takes its step from its spec`,
        ]),
    ...(testSize >= MI_MIN_SAMPLES
      ? []
      : [`no information plane: ${testSize} test images < ${MI_MIN_SAMPLES}`]),
  ];
  const config: RunConfig = {
    dataset: settings.dataset === 'images' ? 'folder' : settings.dataset,
    trainSize: datasetSize(data.train),
    testSize,
    model: settings.model,
    epochs: 1,
    batchSize: settings.batchSize,
    optimizer,
    ...(reads ? { lr: settings.lr } : {}),
    constraints: settings.constraints,
    regs: settings.regs.map((spec) => registries.terms.canonical(spec)),
    // The monitors of `--track activations --track mi`, on the whole (small) test set.
    track: ['activations', ...(testSize >= MI_MIN_SAMPLES ? [`mi:samples=${testSize}`] : [])],
    seed: settings.seed,
  };
  return { config, notes };
}

function picture(data: Float32Array, shape: readonly number[]): Picture {
  const [height, width, channels] =
    shape.length === 3 ? shape : shape.length === 2 ? [shape[0], shape[1], 1] : [1, shape[0], 1];
  return { data, height, width, channels };
}

function pictures(values: Float32Array, count: number, shape: readonly number[]): Picture[] {
  const per = values.length / count;
  return Array.from({ length: count }, (_, i) =>
    picture(values.slice(i * per, (i + 1) * per), shape),
  );
}

/** The views that need only a model and images (shared by a live run and an imported model). */
export function modelViews(
  model: tfl.LayersModel,
  shown: Dataset | { missing: string },
): Pick<Views, 'reconstructions' | 'singular'> {
  return { reconstructions: reconstructions(model, shown), singular: singularVectors(model) };
}

function reconstructions(
  model: tfl.LayersModel,
  shown: Dataset | { missing: string },
): Views['reconstructions'] {
  if ('missing' in shown) return shown;
  try {
    checkReversible(model);
  } catch (error) {
    return { missing: (error as Error).message };
  }
  const n = datasetSize(shown);
  const x = tf.tensor(shown.x, [n, ...shown.sampleShape]);
  const d1 = reconstruct(model, x);
  const values = d1.dataSync() as Float32Array;
  tf.dispose([x, d1]);
  return {
    inputs: pictures(shown.x, n, shown.sampleShape),
    outputs: pictures(values, n, shown.sampleShape),
  };
}

function singularVectors(model: tfl.LayersModel): Views['singular'] {
  try {
    const { layer, images } = firstLayerSingularImages(model);
    return {
      layer,
      pictures: images.slice(0, SINGULAR_SHOWN).map(({ data, height, width, channels }) => ({
        data,
        height,
        width,
        channels,
      })),
      sigmas: images.map((image) => image.sigma),
    };
  } catch (error) {
    return { missing: (error as Error).message };
  }
}

/** The reverse pass of one image (the one drawn on the page). */
export function reconstructOne(model: tfl.LayersModel, pixels: Float32Array): Picture[] {
  checkReversible(model);
  const shape = model.inputs[0].shape.slice(1) as number[];
  const x = tf.tensor(pixels, [1, ...shape]);
  const d1 = reconstruct(model, x);
  const values = d1.dataSync() as Float32Array;
  tf.dispose([x, d1]);
  return [picture(pixels, shape), picture(values, shape)];
}

export class LabSession {
  private order: Int32Array[] = [];
  private readonly shown: Dataset;

  private constructor(
    readonly config: RunConfig,
    /** What the settings asked for that this run does not use (shown on the page). */
    readonly notes: string[],
    readonly data: DataSplit,
    readonly trainer: Trainer,
  ) {
    this.shown = subset(data.test, RECONSTRUCTED);
  }

  /** Builds the run the settings describe on the loaded data (as trainRun does). */
  static create(settings: LabSettings, data: DataSplit): LabSession {
    const { config, notes } = labRun(settings, data);
    const rng = new Random(config.seed);
    const model = buildModel(config.model, runModelOptions(config, data, rng.derive('init')));
    const trainer = runTrainer(config, model, rng, builtinRegistries());
    return new LabSession(config, notes, data, trainer);
  }

  get model(): tfl.LayersModel {
    return this.trainer.model;
  }

  /** One optimisation step on the next batch of the epoch's permutation. */
  step(): StepResult {
    if (this.order.length === 0) {
      const { train } = this.data;
      this.order = batchIndices(datasetSize(train), this.config.batchSize, this.trainer.shuffleRng);
    }
    const batch = makeBatch(this.data.train, this.order.shift()!);
    try {
      return this.trainer.trainStep(batch);
    } finally {
      disposeBatch(batch);
    }
  }

  /** Every view of the live run. */
  views(): Views {
    const residuals =
      this.trainer.optimizer instanceof LangevinOptimizer
        ? this.trainer.optimizer.residuals()
        : undefined;
    return {
      step: this.trainer.step,
      test: this.trainer.evaluate(this.data.test),
      ...modelViews(this.model, this.shown),
      monitors: this.trainer.runMonitors(this.data.test, datasetSize(this.data.test)),
      ...(residuals ? { residuals } : {}),
    };
  }

  dispose(): void {
    this.model.dispose();
    this.trainer.optimizer.dispose();
    for (const term of this.trainer.terms) tf.dispose([...(term.variables ?? [])]);
  }
}
