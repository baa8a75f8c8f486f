/**
 * reglab for the browser: the pure part of the library — no file system, no child processes,
 * no native addon — that the browser lab (web/) bundles. The same code as the CLI: the model
 * zoo, the trainer, the four methods through the same spec registries, the monitors and the
 * analysis; what is Node-only (file-based data sets, run folders, PNG files, reports, the CLI)
 * is left out.
 *
 * One exception needs the bundler's help: `train/trainer.ts` imports `train/checkpoint.ts`
 * (checkpoints on disk) for `Trainer.fit`'s `checkpointDir`; web/vite.config.ts replaces that
 * module with one that throws a named error, and fails the build on any other Node import.
 */

// core
export { ReglabError, check } from './core/errors.js';
export { Random } from './core/random.js';
export { parseSpec, printSpec, specName, specUsage, type Spec } from './core/spec.js';

// backends: the wasm kernel fixes (conv nets train on wasm only with them)
export { installWasmKernelFixes } from './backend/wasm-kernels.js';

// data
export {
  batchIndices,
  datasetSize,
  makeBatch,
  disposeBatch,
  subset,
  type DataSplit,
  type Dataset,
} from './data/dataset.js';
export { loadPeak } from './data/peak.js';
export { idxImages, parseIdx } from './data/idx-format.js';
export { rawToDataset, type RawImages } from './data/raw.js';

// models
export { ACTIVATIONS, buildModel, type ModelOptions } from './models/zoo.js';
export { RESIDUAL_DENSE_CLASS } from './models/residual.js';
export { modelGraph } from './models/graph.js';
export { blocks, hiddenSites } from './models/anatomy.js';

// the engine and its setup from a config
export { Trainer, type StepResult } from './train/trainer.js';
export { OPTIMIZER_DEFAULTS, readsLearningRate } from './train/optimizers.js';
export { runModelOptions, runTrainer } from './lab/setup.js';
export type { RunConfig } from './lab/run-config.js';
export { builtinRegistries, type Registries } from './registry.js';

// analysis and methods
export {
  inputsBesideReconstructions,
  renderGrid,
  imagesFromArray,
  type Image,
  type RenderedGrid,
} from './analysis/images.js';
export { firstLayerSingularImages, weightSpectrum } from './analysis/svd.js';
export { checkReversible, reconstruct } from './methods/racecar/index.js';
export { LangevinOptimizer } from './methods/langevin/index.js';
