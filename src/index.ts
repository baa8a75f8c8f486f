/**
 * reglab: data-driven and constraint-based regularization for TensorFlow.js.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { selectBackend, loadDataset, buildModel, Trainer, Random, racecar } from 'reglab';
 *
 * await selectBackend('auto');
 * const rng = new Random(1);
 * const { train, test } = loadDataset({ dataset: 'mnist', trainSize: 1000 });
 * const model = buildModel('mlp:256,256', { inputShape: train.sampleShape, numClasses: 10, rng });
 * const trainer = new Trainer({ model, optimizer: tf.train.adam(1e-3), rng,
 *   terms: [racecar.racecar({ lambda: 1e-5 })] });
 * await trainer.fit(train, { epochs: 5, batchSize: 128, validation: test });
 * ```
 *
 * This facade lists every public name explicitly (test/api.test.ts pins the list): the
 * foundation flat, each method as a namespace (`racecar`, `per`, `diversify`, `langevin`) so
 * their names never collide. Nothing registers itself on import; `builtinRegistries()` holds
 * every spec factory (`registries.terms.create('racecar:1e-5', …)`).
 */

// core
export { ReglabError, check } from './core/errors.js';
export { Random, type RandomState } from './core/random.js';
export {
  Registry,
  expandGrid,
  formatNumber,
  matchTargets,
  parseSpec,
  printSpec,
  specUsage,
  type Factory,
  type OptionSchema,
  type OptionValue,
  type Spec,
  type SpecSchema,
  type ValueSchema,
} from './core/spec.js';
export { parseCsv, renderTable, type Cell, type Table, type TableFormat } from './core/table.js';

// backends
export {
  BACKEND_NAMES,
  selectBackend,
  type BackendName,
  type SelectBackendOptions,
} from './backend/index.js';

// data
export {
  DATASET_NAMES,
  SAMPLINGS,
  batchIndices,
  batches,
  datasetSize,
  disposeBatch,
  loadCifar10,
  loadDataset,
  loadImageFolder,
  loadMnist,
  loadPeak,
  makeBatch,
  makeDataset,
  peakTemplate,
  rotate,
  selectSamples,
  subset,
  thicken,
  type Batch,
  type DataSplit,
  type Dataset,
  type DatasetName,
  type DatasetSpec,
  type Sampling,
} from './data/index.js';
export {
  EOS,
  UNK,
  Vocabulary,
  loadTokenFolder,
  tokenizeLines,
  type TokenCorpus,
} from './data/text.js';
export { grammarEntropy, grammarText } from './data/grammar.js';

// models
export { ACTIVATIONS, buildModel, type ActivationName, type ModelOptions } from './models/zoo.js';
export { createModel, fileSystemHandler, loadModel } from './models/io.js';
export { ResidualDense } from './models/residual.js';
export { ZeroPadShortcut } from './models/shortcut.js';
export {
  RESNET_SCHEMA,
  buildResNet,
  parseResNetSpec,
  type ResNetConfig,
  type ResNetOptions,
  type ShortcutKind,
} from './models/resnet.js';
export { INPUT_NODE, modelGraph, type GraphNode, type ModelGraph } from './models/graph.js';
export {
  blocks,
  fusedActivationName,
  hiddenSites,
  kernelMatrix,
  kernelNodes,
  layerRole,
  resolveSites,
  residualUnits,
  siteNamed,
  type Block,
  type LayerRole,
  type Placement,
  type Site,
} from './models/anatomy.js';

// the training engine
export {
  Trainer,
  type EpochMetrics,
  type FitOptions,
  type StepResult,
  type TrainerCallbacks,
  type TrainerOptions,
} from './train/trainer.js';
export type {
  Monitor,
  MonitorFactory,
  RegularizationTerm,
  TaskLoss,
  TermContext,
  TermFactory,
  TermFactoryContext,
} from './train/term.js';
export {
  forwardTrace,
  siteTensor,
  traceLayer,
  type ForwardTrace,
  type LayerTrace,
} from './train/trace.js';
export {
  ActivationSelector,
  asSamples,
  siteActivations,
  type ActivationSelection,
  type ConvMode,
  type SiteActivations,
} from './train/sites.js';
export { accuracy, softmaxCrossEntropy } from './train/losses.js';
export { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './train/checkpoint.js';
export {
  OPTIMIZER_DEFAULTS,
  builtinOptimizerFactories,
  type OptimizerContext,
  type OptimizerFactory,
} from './train/optimizers.js';

// analysis and monitors
export {
  formatMeanStd,
  pairedComparison,
  summarize,
  type PairedComparison,
  type Summary,
} from './analysis/stats.js';
export {
  firstLayerSingularImages,
  projectionNorm,
  projectionOntoSpan,
  spanBasis,
  weightSpectrum,
  type LayerSpectrum,
  type SingularImages,
  type SpanBasis,
} from './analysis/svd.js';
export {
  imagesFromArray,
  inputsBesideReconstructions,
  type GridOptions,
  type Image,
  type ImageScale,
} from './analysis/images.js';
export { encodePng, writePngGrid } from './analysis/png.js';
export * as mutualInformation from './analysis/mutual-information/index.js';
export {
  ActivationStatsMonitor,
  activationStats,
  activationStatsFactory,
  type ActivationStatsOptions,
} from './monitors/activation-stats.js';
export {
  MutualInformationMonitor,
  mutualInformationFactory,
  mutualInformationMonitor,
  type MutualInformationMonitorOptions,
} from './monitors/mutual-information.js';

// the four methods
export * as racecar from './methods/racecar/index.js';
export * as per from './methods/per/index.js';
export * as diversify from './methods/diversify/index.js';
export * as generativeDr from './methods/diversify/generative/index.js';
export * as langevin from './methods/langevin/index.js';
export { builtinRegistries, type Registries } from './registry.js';

// the lab and reports
export {
  RUN_DEFAULTS,
  canonicalRunConfig,
  loadRunData,
  type RunConfig,
  type RunResult,
} from './lab/run-config.js';
export { copyWeightsFrom, trainRun, type RunHooks } from './lab/run.js';
export {
  RUN_FORMAT,
  openRunFolder,
  readMetrics,
  readResult,
  readRunConfig,
  type RunFolder,
} from './lab/run-folder.js';
export {
  expandMatrix,
  parseMethod,
  type ExperimentConfig,
  type MethodSpec,
  type RunCell,
} from './lab/matrix.js';
export { resultsTable, type CellOutcome, type ResultsTable } from './lab/results.js';
export {
  compare,
  canonicalExperiment,
  type CompareOptions,
  type CompareOutcome,
} from './lab/compare.js';
export type { CellExecutor, CellExecutorFactory, ExecutorContext } from './lab/executor.js';
export {
  queueExecutor,
  type QueueExecutorOptions,
  type QueueProgress,
} from './lab/queue/executor.js';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './lab/queue/worker.js';
export { queueStatus, type QueueStatus } from './lab/queue/status.js';
export { reconstructionSnapshots, type ReconstructFunction } from './lab/snapshots.js';
export { buildReport, type ReportOptions, type ReportOutcome } from './report/index.js';
export { collectReportInput, type ReportInput, type ReportRun } from './report/collect.js';
