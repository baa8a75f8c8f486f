/**
 * Mutual information as a training monitor: at the end of every epoch, on a held-out batch (the
 * first `samples` validation samples, 2,000 by default, in inference mode), the
 * information-plane coordinates of every block of the network,
 *
 *   `<block>/ixt` = I(X; T_block),   `<block>/ity` = I(T_block; Y)   (bits),
 *
 * estimated by src/analysis/mutual-information. The trainer prefixes the monitor name, so
 * metrics.jsonl holds `mi/dense_1/ixt`, … per epoch — the points of the information plane over
 * training (Shwartz-Ziv & Tishby 2017, Fig. 2 of the racecar paper), which `reglab report` draws.
 *
 * The default estimator is `knn`: KSG (Kraskov et al. 2004) between the input pixels and the
 * block's output for I(X;T), Ross's (2014) mixed estimator for I(T;Y). Binning every unit, the
 * old default, gives every sample its own pattern on a 256-unit layer — I(X;T) = log₂ n and
 * I(T;Y) = H(Y) for every layer, epoch and method — so binning now reads the top `dims`
 * principal components (2 by default; `dims=0` bins every unit as before).
 *
 * A block is a weight layer (Dense or Conv) together with the batch-norm and activation layers
 * that directly follow it (the zoo's `bn_k`, `act_k`): T is the block's final output, its
 * activation name picks the binning range. The last block (the softmax output) is included.
 *
 * Cost (2,000 samples, 784 inputs, 256 units, wasm on 2 cores; docs/mutual-information.md): knn
 * about 0.3 s per block; binning O(n·d) plus a small PCA; KDE an n × n kernel per block. The
 * estimators draw only from generators of their own with fixed seeds (the PCA's range finder),
 * never from the run's, so tracking MI never changes training.
 */
import { ReglabError } from '../core/errors.js';
import type { Monitor, MonitorFactory, TermContext } from '../train/term.js';
import type { LayerTrace } from '../train/trace.js';
import { traceLayer, type ForwardTrace } from '../train/trace.js';
import { blocks, fusedActivationName } from '../models/anatomy.js';
import type { SpecSchema } from '../core/spec.js';
import {
  DEFAULT_BINS,
  DEFAULT_NEIGHBOURS,
  DEFAULT_NOISE_VARIANCE,
  ESTIMATORS,
  layerwiseMutualInformation,
  type Estimator,
  type LayerActivations,
} from '../analysis/mutual-information/index.js';

/** Held-out samples the monitor asks the trainer for (the demo's whole test set). */
export const DEFAULT_MONITOR_SAMPLES = 2000;
/** Principal components binned by the monitor's `binning` estimator. */
export const DEFAULT_BINNING_DIMS = 2;

/** Options of {@link mutualInformationMonitor}. */
export interface MutualInformationMonitorOptions {
  /**
   * `knn` (default: KSG for I(X;T), Ross for I(T;Y)), `binning` (Shwartz-Ziv & Tishby 2017, on
   * the top `dims` principal components) or `kde` (Kolchinsky & Tracey 2017 upper bound).
   */
  estimator?: Estimator;
  /** Held-out samples to estimate on (default {@link DEFAULT_MONITOR_SAMPLES}; capped at the set). */
  samples?: number;
  /** kNN: neighbours k (default 3). */
  neighbours?: number;
  /** Binning: bins per coordinate (default 30). */
  bins?: number;
  /** Binning: principal components to bin (default {@link DEFAULT_BINNING_DIMS}); 0 = every unit. */
  dims?: number;
  /** KDE: variance σ² of the added Gaussian noise (default 1e-3). */
  noiseVariance?: number;
  /** Blocks to measure, by the name of their weight layer (default: every block). */
  layers?: readonly string[];
  /** Monitor name, prefixing the metrics (default `mi`). */
  name?: string;
}

/** Throws unless `value` is an integer in [min, ∞), naming the option and its fix. */
function checkInteger(key: string, value: number, min: number, example: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ReglabError(`mi: ${key}=${value} is not an integer ≥ ${min}`, `write ${example}`);
  }
}

/**
 * The blocks of a trace (models/anatomy.ts: each weight layer with the BN/activation layers
 * right after it), each with the trace entry of its last node.
 */
export function traceBlocks(trace: ForwardTrace): { name: string; last: LayerTrace }[] {
  return blocks(trace.graph).map((block) => ({
    name: block.name,
    last: traceLayer(trace, block.end.name),
  }));
}

/** The monitor returned by {@link mutualInformationMonitor}. */
export class MutualInformationMonitor implements Monitor {
  readonly name: string;
  readonly estimator: Estimator;
  readonly samples: number;
  readonly neighbours: number;
  readonly bins: number;
  readonly dims: number;
  readonly noiseVariance: number;
  readonly layers?: readonly string[];

  constructor(options: MutualInformationMonitorOptions = {}) {
    this.name = options.name ?? 'mi';
    this.estimator = options.estimator ?? 'knn';
    this.samples = options.samples ?? DEFAULT_MONITOR_SAMPLES;
    this.neighbours = options.neighbours ?? DEFAULT_NEIGHBOURS;
    this.bins = options.bins ?? DEFAULT_BINS;
    this.dims = options.dims ?? DEFAULT_BINNING_DIMS;
    this.noiseVariance = options.noiseVariance ?? DEFAULT_NOISE_VARIANCE;
    this.layers = options.layers;
    if (!/^[A-Za-z][\w-]*$/.test(this.name))
      throw new ReglabError(`mi: name "${this.name}" is not a word`, 'write mi:name=mi_pca');
    if (!(ESTIMATORS as readonly string[]).includes(this.estimator)) {
      throw new ReglabError(
        `mi: unknown estimator "${this.estimator}"`,
        `choose one of ${ESTIMATORS.join(', ')}`,
      );
    }
    checkInteger('samples', this.samples, 2, 'mi:samples=2000');
    checkInteger('k', this.neighbours, 1, 'mi:k=3');
    if (this.neighbours >= this.samples)
      throw new ReglabError(
        `mi: k=${this.neighbours} neighbours need more than ${this.samples} samples`,
        'write mi:k=3 or raise samples=',
      );
    checkInteger('bins', this.bins, 2, 'mi:binning:bins=30');
    checkInteger('dims', this.dims, 0, 'mi:binning:dims=2 (0 bins every unit)');
    if (!(this.noiseVariance > 0))
      throw new ReglabError(
        `mi: noise=${this.noiseVariance} is not positive`,
        'write mi:kde:noise=1e-3',
      );
    this.checkOptionsFitEstimator();
  }

  /**
   * An option of another estimator (`mi:bins=100` runs knn) is an error, not ignored: the first
   * wave's `mi:bins=100:0` binned, and the default is knn now. (Options at their defaults are
   * indistinguishable from options not given, so only a changed value is caught.)
   */
  private checkOptionsFitEstimator(): void {
    const foreign: [string, boolean, string][] = [
      [`k=${this.neighbours}`, this.neighbours !== DEFAULT_NEIGHBOURS, 'knn'],
      [`bins=${this.bins}`, this.bins !== DEFAULT_BINS, 'binning'],
      [`dims=${this.dims}`, this.dims !== DEFAULT_BINNING_DIMS, 'binning'],
      [`noise=${this.noiseVariance}`, this.noiseVariance !== DEFAULT_NOISE_VARIANCE, 'kde'],
    ];
    for (const [option, given, estimator] of foreign)
      if (given && estimator !== this.estimator)
        throw new ReglabError(
          `mi: ${option} belongs to the ${estimator} estimator, but this monitor uses ${this.estimator}`,
          `write mi:${estimator}:${option}${estimator === 'binning' ? ' (the first wave binned every unit: mi:binning:dims=0)' : ''}`,
        );
  }

  /** The measured blocks' final outputs, checking requested names exist. */
  private selectedLayers(trace: TermContext['trace']): LayerActivations[] {
    const blocks = traceBlocks(trace);
    const wanted = this.layers ?? blocks.map((b) => b.name);
    return wanted.map((name) => {
      const block = blocks.find((b) => b.name === name);
      if (!block)
        throw new ReglabError(
          `mi: no block named "${name}"`,
          `choose among ${blocks.map((b) => b.name).join(', ')}`,
        );
      return {
        name,
        activations: block.last.output,
        activation: fusedActivationName(block.last.layer),
      };
    });
  }

  /** `<block>/ixt` and `<block>/ity` in bits for every selected block. */
  compute({ trace, batch }: TermContext): Record<string, number> {
    const out: Record<string, number> = {};
    const points = layerwiseMutualInformation(this.selectedLayers(trace), batch.labels, {
      estimator: this.estimator,
      inputs: batch.x,
      neighbours: this.neighbours,
      bins: this.bins,
      project: this.dims === 0 ? undefined : this.dims,
      noiseVariance: this.noiseVariance,
    });
    for (const { name, ixt, ity } of points) {
      out[`${name}/ixt`] = ixt;
      out[`${name}/ity`] = ity;
    }
    return out;
  }
}

/** `mutualInformationMonitor({estimator: 'knn'})`: I(X;T) and I(T;Y) per block, every epoch. */
export function mutualInformationMonitor(
  options: MutualInformationMonitorOptions = {},
): MutualInformationMonitor {
  return new MutualInformationMonitor(options);
}

/** The schema of `--track mi…`. */
export const MUTUAL_INFORMATION_SCHEMA: SpecSchema = {
  name: 'mi',
  summary: 'I(X;T) and I(T;Y) in bits per block (information plane)',
  options: {
    estimator: { type: 'choice', values: ESTIMATORS, default: 'knn' },
    samples: { type: 'number', integer: true, min: 2, default: DEFAULT_MONITOR_SAMPLES },
    k: { type: 'number', integer: true, min: 1, default: DEFAULT_NEIGHBOURS },
    bins: { type: 'number', integer: true, min: 2, default: DEFAULT_BINS },
    dims: { type: 'number', integer: true, min: 0, default: DEFAULT_BINNING_DIMS },
    noise: { type: 'number', above: 0, default: DEFAULT_NOISE_VARIANCE },
    name: {
      type: 'text',
      default: 'mi',
      description: 'metric prefix (a second MI monitor needs its own)',
    },
  },
  targets: { name: 'blocks' },
};

/** `--track mi[:knn|binning|kde][:samples=…][:k=…][:bins=…][:dims=…][:noise=…][:name=…][@blocks]`. */
export const mutualInformationFactory: MonitorFactory = {
  schema: MUTUAL_INFORMATION_SCHEMA,
  create: ({ options, targets }) =>
    mutualInformationMonitor({
      estimator: options.estimator as Estimator,
      samples: options.samples as number,
      neighbours: options.k as number,
      bins: options.bins as number,
      dims: options.dims as number,
      noiseVariance: options.noise as number,
      layers: targets,
      name: options.name as string,
    }),
};
