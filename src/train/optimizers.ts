/**
 * Optimizer factories: the TF.js built-ins by spec (`sgd`, `momentum`, `adam:beta2=0.99`,
 * `rmsprop`), in the one spec grammar (core/spec.ts). Other modules contribute theirs (the
 * constrained Langevin optimizers, methods/langevin/factories.ts); src/registry.ts lists them all.
 *
 * The learning rate and momentum of the built-ins come from the run (`--lr`, `--momentum`);
 * {@link OPTIMIZER_DEFAULTS} fills them when the run leaves them out.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import { warnOnce, type Factory, type Spec, type SpecSchema } from '../core/spec.js';

/** Everything an optimizer factory may use besides its spec. */
export interface OptimizerContext {
  /** The run's learning rate (`--lr`), when it sets one. */
  readonly learningRate?: number;
  /** The run's momentum (`--momentum`), when it sets one. */
  readonly momentum?: number;
  /** Per-variable constraint specs (`--constraint circle:0.05@dense_1`). */
  readonly constraints: readonly string[];
  /** The model, so constraint rules can be resolved against its variables. */
  readonly model: tfl.LayersModel;
  readonly rng: Random;
}

/** Builds an optimizer from its spec. */
export type OptimizerFactory = Factory<tf.Optimizer, OptimizerContext>;

/** The learning rate and momentum the built-ins use when the run sets none. */
export const OPTIMIZER_DEFAULTS = { learningRate: 1e-3, momentum: 0.9 } as const;

/** Which run settings a built-in optimizer reads. */
const READS: Readonly<Record<string, { momentum: boolean }>> = {
  sgd: { momentum: false },
  momentum: { momentum: true },
  adam: { momentum: false },
  rmsprop: { momentum: false },
};

/** Whether the optimizer `name` takes the run's `--momentum` (only `momentum` does). */
export function readsMomentum(name: string): boolean {
  return READS[name]?.momentum ?? false;
}

/** Whether `name` is a TF.js built-in that takes its learning rate from the run. */
export function readsLearningRate(name: string): boolean {
  return name in READS;
}

function builtIn(
  schema: SpecSchema,
  make: (spec: Spec, lr: number, momentum: number) => tf.Optimizer,
): OptimizerFactory {
  return {
    schema,
    create(spec, context) {
      if (context.constraints.length > 0) {
        throw new ReglabError(
          `optimizer ${schema.name} cannot keep weights on constraints (${context.constraints.join(', ')})`,
          'TF.js optimizers ignore weight constraints; use cola-od or cola-ud',
        );
      }
      if (context.momentum !== undefined && !READS[schema.name].momentum) {
        throw new ReglabError(
          `optimizer ${schema.name} has no momentum (momentum ${context.momentum} was given)`,
          'leave out the momentum, or use the momentum optimizer',
        );
      }
      return make(
        spec,
        context.learningRate ?? OPTIMIZER_DEFAULTS.learningRate,
        context.momentum ?? OPTIMIZER_DEFAULTS.momentum,
      );
    },
  };
}

const num = (spec: Spec, key: string) => spec.options[key] as number | undefined;

/** `sgd`: plain SGD. */
export const sgdFactory = builtIn({ name: 'sgd', summary: 'plain SGD (--lr)' }, (_spec, lr) =>
  tf.train.sgd(lr),
);

/** `momentum[:nesterov]`: SGD with (Nesterov) momentum. */
export const momentumFactory = builtIn(
  {
    name: 'momentum',
    summary: 'SGD with momentum (--lr, --momentum)',
    options: { nesterov: { type: 'flag', default: false } },
  },
  (spec, lr, momentum) => tf.train.momentum(lr, momentum, spec.options.nesterov as boolean),
);

/** `adam[:beta1=…][:beta2=…][:epsilon=…]`. */
export const adamFactory = builtIn(
  {
    name: 'adam',
    summary: 'Adam (--lr)',
    options: {
      beta1: { type: 'number', min: 0, max: 1, default: 0.9 },
      beta2: { type: 'number', min: 0, max: 1, default: 0.999 },
      epsilon: { type: 'number', above: 0 },
    },
  },
  (spec, lr) => tf.train.adam(lr, num(spec, 'beta1'), num(spec, 'beta2'), num(spec, 'epsilon')),
);

/** `rmsprop[:decay=…][:rho-momentum=…][:epsilon=…][:centered]`. */
export const rmspropFactory = builtIn(
  {
    name: 'rmsprop',
    summary: 'RMSProp (--lr)',
    options: {
      decay: { type: 'number', min: 0, max: 1, default: 0.9 },
      epsilon: { type: 'number', above: 0 },
      centered: { type: 'flag', default: false },
    },
  },
  (spec, lr) => {
    // TF.js 4.22's centered update divides by √(ms − (mg² + ε)) where Graves (2013) and
    // TensorFlow have √(ms − mg² + ε): NaN at the first step whose gradient entry is below
    // ≈ √(ε/(ρ(1 − ρ))) (found by the resume tests). Refused until TF.js fixes it.
    if (spec.options.centered)
      throw new ReglabError(
        "rmsprop:centered is not available: TF.js 4.22's centered RMSProp subtracts ε under the square root (√(ms − mg² − ε)) and turns the weights to NaN on the first small gradient",
        'use rmsprop (uncentered) or adam',
      );
    return tf.train.rmsprop(lr, num(spec, 'decay'), 0, num(spec, 'epsilon'));
  },
);

/** The TF.js built-in optimizers. */
export const builtinOptimizerFactories: readonly OptimizerFactory[] = [
  sgdFactory,
  momentumFactory,
  adamFactory,
  rmspropFactory,
];

/**
 * State an optimizer keeps outside `getWeights()`, saved with a checkpoint so that a resumed run
 * is bit-identical to an uninterrupted one.
 *
 * TF.js's Adam keeps the bias-correction powers β₁^(t+1), β₂^(t+1) as a running float32
 * product (`accBeta ← accBeta·β` after every step) but its `setWeights` recomputes them as
 * `pow(β, iterations + 1)`: the two roundings differ in the last bit for most t (for β₂ = 0.999
 * at t = 2, 5, 18, 19, 20, …), and the resumed run drifts (3.1e-7 in the weights after 36 more
 * steps of a toy MLP). So the checkpoint stores the running products themselves and writes them
 * back after `setWeights`. SGD, momentum, RMSProp and the Langevin optimizers keep all their
 * state in `getWeights()` (tested: they resume bit-identically without help).
 */
export type OptimizerResumeState = Record<string, number>;

/** The accumulated powers of a TF.js Adam optimizer, read from its (private) fields, checked. */
function adamPowers(optimizer: tf.Optimizer): Record<string, tf.Variable> | undefined {
  // `instanceof` cannot tell optimizers apart (tf.Optimizer answers it by duck typing).
  if (optimizer.getClassName() !== 'Adam') return undefined;
  const powers: Record<string, tf.Variable> = {};
  for (const field of ['accBeta1', 'accBeta2']) {
    const value: unknown = Reflect.get(optimizer, field);
    if (!(value instanceof tf.Variable) || value.size !== 1)
      throw new ReglabError(
        `this TF.js Adam has no scalar ${field}; its resume state cannot be saved`,
        'use the TF.js version reglab is tested with (4.22)',
      );
    powers[field] = value;
  }
  return powers;
}

/** The state {@link restoreOptimizerResumeState} needs besides `getWeights()` (see above). */
export function optimizerResumeState(optimizer: tf.Optimizer): OptimizerResumeState {
  const powers = adamPowers(optimizer) ?? {};
  return Object.fromEntries(
    Object.entries(powers).map(([field, variable]) => [field, variable.dataSync()[0]]),
  );
}

/**
 * Writes back a state from {@link optimizerResumeState}; call it after `setWeights`. A checkpoint
 * of an older reglab has none: TF.js's recomputed powers stay (the run resumes, within a few
 * float32 roundings of the uninterrupted one) and a warning says so.
 */
export function restoreOptimizerResumeState(
  optimizer: tf.Optimizer,
  state: OptimizerResumeState | undefined,
): void {
  const powers = adamPowers(optimizer) ?? {};
  for (const [field, variable] of Object.entries(powers)) {
    const value = state?.[field];
    if (typeof value !== 'number') {
      warnOnce(
        `the checkpoint holds no Adam ${field} (an older reglab wrote it): the resumed run may differ from an uninterrupted one in the last float32 bits`,
      );
      continue;
    }
    tf.tidy(() => variable.assign(tf.scalar(value, 'float32')));
  }
}
