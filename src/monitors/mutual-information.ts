/**
 * Mutual information as a training monitor: at the end of every epoch, on the held-out batch
 * the trainer traces (the first `monitorSamples` validation samples, in inference mode), the
 * information-plane coordinates of every block of the network,
 *
 *   `<block>/ixt` = I(X; T_block),   `<block>/ity` = I(T_block; Y)   (bits),
 *
 * estimated by src/analysis/mutual-information (binning or the pairwise-KDE bound). The trainer
 * prefixes the monitor name, so metrics.jsonl holds `mi/dense_1/ixt`, … per epoch — the points
 * of the information plane over training (Shwartz-Ziv & Tishby 2017, Fig. 2 of the racecar
 * paper), which `reglab report` draws.
 *
 * A block is a weight layer (Dense or Conv) together with the batch-norm and activation layers
 * that directly follow it (the zoo's `bn_k`, `act_k`): T is the block's final output, its
 * activation name picks the binning range. The last block (the softmax output) is included.
 *
 * Cost: binning is O(n·d) per layer; KDE forms an n×n distance matrix per layer (n = 512 by
 * default: about a millisecond per layer on wasm). Neither draws from the run's generator, so
 * tracking MI never changes training.
 */
import { ReglabError } from '../core/errors.js';
import type { Monitor, MonitorFactory, TermContext } from '../train/term.js';
import type { LayerTrace } from '../train/trace.js';
import { traceLayer, type ForwardTrace } from '../train/trace.js';
import { blocks, fusedActivationName } from '../models/anatomy.js';
import type { SpecSchema } from '../core/spec.js';
import {
  DEFAULT_BINS,
  DEFAULT_NOISE_VARIANCE,
  mutualInformation,
  type LayerActivations,
} from '../analysis/mutual-information/index.js';

/** Options of {@link mutualInformationMonitor}. */
export interface MutualInformationMonitorOptions {
  /** `binning` (default, Shwartz-Ziv & Tishby 2017) or `kde` (Kolchinsky & Tracey 2017 upper bound). */
  estimator?: 'binning' | 'kde';
  /** Binning: bins per unit (default 30). */
  bins?: number;
  /** KDE: variance σ² of the added Gaussian noise (default 1e-3). */
  noiseVariance?: number;
  /** Blocks to measure, by the name of their weight layer (default: every block). */
  layers?: readonly string[];
  /** Monitor name, prefixing the metrics (default `mi`). */
  name?: string;
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
  readonly estimator: 'binning' | 'kde';
  readonly bins: number;
  readonly noiseVariance: number;
  readonly layers?: readonly string[];

  constructor(options: MutualInformationMonitorOptions = {}) {
    this.name = options.name ?? 'mi';
    this.estimator = options.estimator ?? 'binning';
    this.bins = options.bins ?? DEFAULT_BINS;
    this.noiseVariance = options.noiseVariance ?? DEFAULT_NOISE_VARIANCE;
    this.layers = options.layers;
    if (!Number.isInteger(this.bins) || this.bins < 2) {
      throw new ReglabError(`mi: bins=${this.bins} is not an integer ≥ 2`, 'write mi:bins=30:0');
    }
    if (!(this.noiseVariance > 0))
      throw new ReglabError(
        `mi: noise=${this.noiseVariance} is not positive`,
        'write mi:kde:noise=1e-3:0',
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
    for (const layer of this.selectedLayers(trace)) {
      const { ixt, ity } = mutualInformation(layer.activations, batch.labels, {
        estimator: this.estimator,
        bins: this.bins,
        noiseVariance: this.noiseVariance,
        activation: layer.activation,
      });
      out[`${layer.name}/ixt`] = ixt;
      out[`${layer.name}/ity`] = ity;
    }
    return out;
  }
}

/** `mutualInformationMonitor({estimator: 'kde'})`: I(X;T) and I(T;Y) per block, every epoch. */
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
    estimator: { type: 'choice', values: ['binning', 'kde'], default: 'binning' },
    bins: { type: 'number', integer: true, min: 2, default: DEFAULT_BINS },
    noise: { type: 'number', above: 0, default: DEFAULT_NOISE_VARIANCE },
  },
  targets: { name: 'blocks' },
};

/** `--track mi[:binning|kde][:bins=30][:noise=1e-3][@blocks]`. */
export const mutualInformationFactory: MonitorFactory = {
  schema: MUTUAL_INFORMATION_SCHEMA,
  create: ({ options, targets }) =>
    mutualInformationMonitor({
      estimator: options.estimator as 'binning' | 'kde',
      bins: options.bins as number,
      noiseVariance: options.noise as number,
      layers: targets,
    }),
};
