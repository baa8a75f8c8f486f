/**
 * The registries of everything a spec can name — regularization terms (`--reg`), monitors
 * (`--track`) and optimizers (`--optimizer`) — built explicitly from each module's factory
 * list. Nothing registers itself on import: the lab, the CLI and the workers receive these
 * registries, and a user adds a factory of their own with `registries.terms.add(factory)`.
 */
import { Registry } from './core/spec.js';
import type { Monitor, RegularizationTerm, TermFactoryContext } from './train/term.js';
import { builtinOptimizerFactories, type OptimizerContext } from './train/optimizers.js';
import type * as tf from '@tensorflow/tfjs-core';
import { activationStatsFactory } from './monitors/activation-stats.js';
import { mutualInformationFactory } from './monitors/mutual-information.js';
import { termFactories as racecarTerms } from './methods/racecar/factories.js';
import { termFactories as perTerms } from './methods/per/factories.js';
import { termFactories as diversifyTerms } from './methods/diversify/index.js';
import { optimizerFactories as langevinOptimizers } from './methods/langevin/factories.js';

/** The three registries a run needs. */
export interface Registries {
  readonly terms: Registry<RegularizationTerm, TermFactoryContext>;
  readonly monitors: Registry<Monitor, TermFactoryContext>;
  readonly optimizers: Registry<tf.Optimizer, OptimizerContext>;
}

/** Fresh registries holding every factory reglab ships (a new set per call: adding to one never changes another). */
export function builtinRegistries(): Registries {
  return {
    terms: new Registry('regularization term', [...racecarTerms, ...perTerms, ...diversifyTerms]),
    monitors: new Registry('monitor', [activationStatsFactory, mutualInformationFactory]),
    optimizers: new Registry('optimizer', [...builtinOptimizerFactories, ...langevinOptimizers]),
  };
}
