/**
 * The contract between the trainer and every regularization method.
 *
 * A term is a named, weighted scalar computed from the forward trace of a batch:
 * `total = task loss + Σ_k weight_k · term_k(trace, batch, model)`. Terms are plain objects
 * (or small classes), so a user writes their own in a few lines.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Random } from '../core/random.js';
import type { Factory } from '../core/spec.js';
import type { Batch } from '../data/dataset.js';
import type { ForwardTrace } from './trace.js';

/** Everything a term may read for one batch. */
export interface TermContext {
  readonly trace: ForwardTrace;
  readonly batch: Batch;
  readonly model: tfl.LayersModel;
  /** The run's generator (random directions, power-iteration vectors, …). */
  readonly rng: Random;
  /** Global step counter (0-based). */
  readonly step: number;
}

/** A regularization term added to the task loss. */
export interface RegularizationTerm {
  /** Short name used in logs and metrics, e.g. `racecar`, `per`, `ort`. */
  readonly name: string;
  /** The factor λ that multiplies {@link compute} in the total loss. */
  readonly weight: number;
  /** The unweighted value of the term for this batch (must be differentiable). */
  compute(context: TermContext): tf.Scalar;
  /** Extra trainable variables the term owns (e.g. VCL's β), trained with the model. */
  readonly variables?: readonly tf.Variable[];
  /** Checks the model once before training (layer names, supported layer types). */
  prepare?(model: tfl.LayersModel): void;
}

/**
 * A monitor: numbers computed from a held-out batch at the end of every epoch, never part
 * of the loss (activation statistics, sliced W1, mutual information, …).
 */
export interface Monitor {
  readonly name: string;
  /**
   * Held-out samples this monitor needs (e.g. 2,000 for mutual information, whose estimators are
   * poor on a few hundred); default: the trainer's `monitorSamples`. Capped at the set's size.
   */
  readonly samples?: number;
  compute(context: TermContext): Record<string, number>;
  /** Checks the model once before training (layer names). */
  prepare?(model: tfl.LayersModel): void;
}

/** A task loss from the trace (default: softmax cross-entropy on the logits). */
export type TaskLoss = (trace: ForwardTrace, batch: Batch) => tf.Scalar;

/** What a term or monitor factory gets besides the spec. */
export interface TermFactoryContext {
  /** A generator for draws made while building the term (its per-step draws use {@link TermContext.rng}). */
  readonly rng: Random;
}

/**
 * Builds a term from its spec (`racecar:mean:1e-5@input`); the spec's bare number is the
 * term's weight λ. A term serializes as the canonical spec that built it (core/spec.ts).
 */
export type TermFactory = Factory<RegularizationTerm, TermFactoryContext>;

/** Builds a monitor from its spec (`mi:ksg:samples=2000`); monitors take no weight. */
export type MonitorFactory = Factory<Monitor, TermFactoryContext>;
