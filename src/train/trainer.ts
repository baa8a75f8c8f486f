/**
 * The training loop: task loss plus any number of weighted regularization terms, computed
 * from one forward trace per batch, minimised by any `tf.Optimizer`.
 *
 *   total = task(trace, batch) + Σ_k weight_k · term_k(trace, batch, model)
 *
 * The trainer reports every term separately, validates on a held-out set, stops on a
 * non-finite loss, writes atomic checkpoints and frees every intermediate tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { Random } from '../core/random.js';
import {
  batchIndices,
  datasetSize,
  disposeBatch,
  makeBatch,
  type Batch,
  type Dataset,
} from '../data/dataset.js';
import {
  array,
  integer,
  measured,
  number,
  object,
  optional,
  parseChecked,
  record,
  type Schema,
} from '../core/schema.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { accuracy, softmaxCrossEntropy } from './losses.js';
import type { Monitor, RegularizationTerm, TaskLoss, TermContext } from './term.js';
import { forwardTrace, type ForwardTrace } from './trace.js';

/** Numbers of one training step. */
export interface StepResult {
  /** Total loss (task + weighted terms). */
  loss: number;
  task: number;
  accuracy: number;
  /** Unweighted value of every term, by name. */
  terms: Record<string, number>;
}

/** Numbers of one epoch, also written as one line of `metrics.jsonl`. */
export interface EpochMetrics {
  epoch: number;
  loss: number;
  task: number;
  accuracy: number;
  terms: Record<string, number>;
  valLoss?: number;
  valAccuracy?: number;
  /** Monitor outputs, `monitorName/key` → value. */
  monitors: Record<string, number>;
  seconds: number;
}

/** The checked form of {@link EpochMetrics} (checkpoints, `metrics.jsonl`; core/schema.ts). */
export const EpochMetricsSchema: Schema<EpochMetrics> = object({
  epoch: integer,
  loss: measured,
  task: measured,
  accuracy: measured,
  terms: record(measured),
  valLoss: optional(measured),
  valAccuracy: optional(measured),
  monitors: record(measured),
  seconds: number,
});

/** Hooks called during {@link Trainer.fit}. Returning `false` from `onEpochEnd` stops training. */
export interface TrainerCallbacks {
  onBatchEnd?(step: number, result: StepResult): void | Promise<void>;
  onEpochEnd?(metrics: EpochMetrics): void | boolean | Promise<void | boolean>;
}

export interface TrainerOptions {
  model: tfl.LayersModel;
  optimizer: tf.Optimizer;
  /** Regularization terms added to the task loss. */
  terms?: RegularizationTerm[];
  /** Per-epoch measurements on a held-out batch (never part of the loss). */
  monitors?: Monitor[];
  /** Task loss; default softmax cross-entropy on the logits. */
  loss?: TaskLoss;
  /**
   * The run's generator. The trainer derives two independent streams from its seed: one
   * shuffles the batches, one feeds the terms' random draws — so a term that draws noise does
   * not change the batch order of a run with the same seed.
   */
  rng?: Random;
  callbacks?: TrainerCallbacks;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Held-out set evaluated after every epoch (or every `validateEvery`-th). */
  validation?: Dataset;
  /**
   * Evaluate `validation` only every N epochs and after the last one (default 1): a large
   * held-out set (60 000 images) can cost as much as the epoch. Other epochs have no val numbers.
   */
  validateEvery?: number;
  /** Shuffle every epoch with the run's generator (default true). */
  shuffle?: boolean;
  /** Folder for checkpoints; when it holds one, training resumes from it. */
  checkpointDir?: string;
  /** Samples of the validation (else training) set that monitors see (default 512). */
  monitorSamples?: number;
  /** Extra fields stored in each checkpoint (e.g. the history so far). */
  checkpointExtra?: () => Record<string, unknown>;
}

/** Trains a tfjs-layers model with regularization terms. See the file comment. */
export class Trainer {
  readonly model: tfl.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly terms: readonly RegularizationTerm[];
  readonly monitors: readonly Monitor[];
  readonly loss: TaskLoss;
  /** Shuffles the batches. */
  shuffleRng: Random;
  /** Every term's and monitor's random draws (`TermContext.rng`). */
  termRng: Random;
  /** Global step counter (batches trained so far). */
  step = 0;
  /** Finished epochs. */
  epoch = 0;
  readonly history: EpochMetrics[] = [];
  private readonly callbacks: TrainerCallbacks[] = [];

  constructor(options: TrainerOptions) {
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.terms = options.terms ?? [];
    this.monitors = options.monitors ?? [];
    this.loss = options.loss ?? softmaxCrossEntropy;
    const rng = options.rng ?? new Random(0);
    this.shuffleRng = rng.derive('shuffle');
    this.termRng = rng.derive('terms');
    if (options.callbacks) this.callbacks.push(options.callbacks);
    checkTermNames(this.terms);
    for (const term of this.terms) term.prepare?.(this.model);
  }

  /** Adds callbacks; they run after those already registered. */
  addCallbacks(callbacks: TrainerCallbacks): void {
    this.callbacks.push(callbacks);
  }

  /**
   * Checks, before any training or file write, that the task loss and every term compute on
   * the first `samples` samples of `data`: a forward pass in inference mode, terms given a copy
   * of their generator, no gradient — it changes no state of the run (shape errors, a term that
   * does not fit the model, fail here).
   */
  dryRun(data: Dataset, samples = 2): void {
    const count = Math.min(samples, datasetSize(data));
    if (count === 0) return;
    const batch = makeBatch(
      data,
      Int32Array.from({ length: count }, (_, i) => i),
    );
    try {
      tf.tidy(() => {
        const trace = forwardTrace(this.model, batch.x, false);
        this.loss(trace, batch);
        const context = { ...this.context(trace, batch), rng: new Random(this.termRng.state()) };
        for (const term of this.terms) term.compute(context);
      });
    } finally {
      disposeBatch(batch);
    }
  }

  /** What terms and monitors see for one batch. */
  private context(trace: ForwardTrace, batch: Batch): TermContext {
    return { trace, batch, model: this.model, rng: this.termRng, step: this.step };
  }

  /** The variables the optimizer updates: the model's trainable weights and the terms' own. */
  trainableVariables(): tf.Variable[] {
    const modelVariables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    return [...modelVariables, ...this.terms.flatMap((term) => term.variables ?? [])];
  }

  /** One optimisation step on `batch`. */
  trainStep(batch: Batch): StepResult {
    const kept: tf.Scalar[] = [];
    const totalLoss = this.optimizer.minimize(
      () => {
        const trace = forwardTrace(this.model, batch.x, true);
        const task = this.loss(trace, batch);
        const context = this.context(trace, batch);
        const values = this.terms.map((term) => term.compute(context));
        kept.push(...[task, ...values, accuracy(trace.output, batch.y)].map((t) => tf.keep(t)));
        return values.reduce(
          (total, value, k) => tf.add(total, tf.mul(value, this.terms[k].weight)),
          task,
        ) as tf.Scalar;
      },
      true,
      this.trainableVariables(),
    ) as tf.Scalar;
    const numbers = tf.tidy(() => tf.stack([totalLoss, ...kept]).dataSync());
    tf.dispose([totalLoss, ...kept]);
    const result = this.stepResult(numbers);
    if (!Number.isFinite(result.loss)) throw this.nonFiniteError(result);
    this.step += 1;
    return result;
  }

  private stepResult(numbers: ArrayLike<number>): StepResult {
    const terms: Record<string, number> = {};
    this.terms.forEach((term, k) => (terms[term.name] = numbers[2 + k]));
    return { loss: numbers[0], task: numbers[1], accuracy: numbers[2 + this.terms.length], terms };
  }

  private nonFiniteError(result: StepResult): ReglabError {
    const parts = Object.entries(result.terms).map(([name, value]) => `${name}=${value}`);
    return new ReglabError(
      `loss became ${result.loss} at step ${this.step} of epoch ${this.epoch + 1} (task=${result.task}${parts.length ? ', ' + parts.join(', ') : ''})`,
      'lower the learning rate or the regularization weight, or check the inputs for NaN; the last checkpoint is intact',
    );
  }

  /** Mean loss and accuracy of the model on `data` (inference mode, no terms). */
  evaluate(data: Dataset, batchSize = 512): { loss: number; accuracy: number } {
    let lossSum = 0;
    let correctSum = 0;
    for (const indices of batchIndices(datasetSize(data), batchSize)) {
      const batch = makeBatch(data, indices);
      const [loss, acc] = tf.tidy(() => {
        const trace = forwardTrace(this.model, batch.x, false);
        return tf.stack([this.loss(trace, batch), accuracy(trace.output, batch.y)]).dataSync();
      });
      disposeBatch(batch);
      lossSum += loss * indices.length;
      correctSum += acc * indices.length;
    }
    const n = datasetSize(data);
    return { loss: lossSum / n, accuracy: correctSum / n };
  }

  /**
   * Runs every monitor on the first samples of `data`, in inference mode: `monitor.samples` of
   * them where the monitor asks for a number, else `samples`. One forward trace per distinct count.
   */
  runMonitors(data: Dataset, samples = 512): Record<string, number> {
    const groups = new Map<number, Monitor[]>();
    for (const monitor of this.monitors) {
      const count = Math.min(monitor.samples ?? samples, datasetSize(data));
      groups.set(count, [...(groups.get(count) ?? []), monitor]);
    }
    const values = new Map<Monitor, Record<string, number>>();
    for (const [count, monitors] of groups) {
      const batch = makeBatch(
        data,
        Int32Array.from({ length: count }, (_, i) => i),
      );
      try {
        tf.tidy(() => {
          const context = this.context(forwardTrace(this.model, batch.x, false), batch);
          for (const monitor of monitors) values.set(monitor, monitor.compute(context));
        });
      } finally {
        disposeBatch(batch);
      }
    }
    const out: Record<string, number> = {};
    for (const monitor of this.monitors) {
      for (const [key, value] of Object.entries(values.get(monitor) ?? {}))
        out[`${monitor.name}/${key}`] = value;
    }
    return out;
  }

  /** Trains one epoch over `train` and returns the mean step numbers. */
  async trainEpoch(train: Dataset, batchSize: number, shuffle = true): Promise<StepResult> {
    const sums = { loss: 0, task: 0, accuracy: 0, terms: {} as Record<string, number> };
    const order = batchIndices(
      datasetSize(train),
      batchSize,
      shuffle ? this.shuffleRng : undefined,
    );
    for (const indices of order) {
      const batch = makeBatch(train, indices);
      let result: StepResult;
      try {
        result = this.trainStep(batch);
      } finally {
        disposeBatch(batch);
      }
      addWeighted(sums, result, indices.length);
      for (const callbacks of this.callbacks) await callbacks.onBatchEnd?.(this.step, result);
    }
    return scaleResult(sums, 1 / datasetSize(train));
  }

  /**
   * Trains for `epochs` epochs (counting those a resumed checkpoint already finished) and
   * returns the history of epoch metrics.
   */
  async fit(train: Dataset, options: FitOptions): Promise<EpochMetrics[]> {
    const { checkpointDir } = options;
    const every = options.validateEvery ?? 1;
    if (!Number.isInteger(every) || every < 1) {
      throw new ReglabError(
        `validateEvery = ${every} is not a whole number ≥ 1`,
        'evaluate every N ≥ 1 epochs (--eval-every N)',
      );
    }
    if (checkpointDir && (await hasCheckpoint(checkpointDir))) await this.resume(checkpointDir);
    while (this.epoch < options.epochs) {
      const started = performance.now();
      const means = await this.trainEpoch(train, options.batchSize, options.shuffle ?? true);
      this.epoch += 1;
      const metrics = this.epochMetrics(
        means,
        options,
        train,
        (performance.now() - started) / 1000,
      );
      this.history.push(metrics);
      if (checkpointDir) await this.checkpoint(checkpointDir, options.checkpointExtra?.());
      if (!(await this.notifyEpochEnd(metrics))) break;
    }
    return this.history;
  }

  /** Runs every `onEpochEnd`; false when one of them asks to stop. */
  private async notifyEpochEnd(metrics: EpochMetrics): Promise<boolean> {
    let goOn = true;
    for (const callbacks of this.callbacks)
      if ((await callbacks.onEpochEnd?.(metrics)) === false) goOn = false;
    return goOn;
  }

  private epochMetrics(
    means: StepResult,
    options: FitOptions,
    train: Dataset,
    seconds: number,
  ): EpochMetrics {
    const due = this.epoch % (options.validateEvery ?? 1) === 0 || this.epoch === options.epochs;
    const validation = options.validation && due ? this.evaluate(options.validation) : undefined;
    const monitors = this.runMonitors(options.validation ?? train, options.monitorSamples);
    return {
      epoch: this.epoch,
      ...means,
      valLoss: validation?.loss,
      valAccuracy: validation?.accuracy,
      monitors,
      seconds,
    };
  }

  /** Writes a checkpoint of the current state into `dir`. */
  async checkpoint(dir: string, extra?: Record<string, unknown>): Promise<void> {
    await saveCheckpoint(dir, this.model, this.optimizer, {
      epoch: this.epoch,
      step: this.step,
      rng: { shuffle: this.shuffleRng.state(), terms: this.termRng.state() },
      extra: { history: this.history, ...extra },
    });
  }

  /** Restores the state saved in `dir` (model, optimizer, generator, counters, history). */
  async resume(dir: string): Promise<void> {
    const state = await loadCheckpoint(dir, this.model, this.optimizer);
    this.epoch = state.epoch;
    this.step = state.step;
    this.shuffleRng = new Random(state.rng.shuffle);
    this.termRng = new Random(state.rng.terms);
    const history = parseChecked(
      `${dir}/checkpoint.json`,
      state.extra?.history ?? [],
      array(EpochMetricsSchema),
    );
    this.history.splice(0, this.history.length, ...history);
  }
}

function checkTermNames(terms: readonly RegularizationTerm[]): void {
  const seen = new Set<string>();
  for (const term of terms) {
    if (seen.has(term.name)) {
      throw new ReglabError(
        `two regularization terms are named "${term.name}"`,
        'give each term a distinct name',
      );
    }
    if (!Number.isFinite(term.weight)) {
      throw new ReglabError(
        `term "${term.name}" has weight ${term.weight}`,
        'weights must be finite numbers',
      );
    }
    seen.add(term.name);
  }
}

function addWeighted(sums: StepResult, result: StepResult, weight: number): void {
  sums.loss += result.loss * weight;
  sums.task += result.task * weight;
  sums.accuracy += result.accuracy * weight;
  for (const [name, value] of Object.entries(result.terms))
    sums.terms[name] = (sums.terms[name] ?? 0) + value * weight;
}

function scaleResult(sums: StepResult, factor: number): StepResult {
  const terms = Object.fromEntries(
    Object.entries(sums.terms).map(([name, value]) => [name, value * factor]),
  );
  return {
    loss: sums.loss * factor,
    task: sums.task * factor,
    accuracy: sums.accuracy * factor,
    terms,
  };
}
