/**
 * The optimizer factories of constrained Langevin training, `--optimizer cola-ud:…` and
 * `--optimizer cola-od:…`, with the run's `--constraint` rules. The run's generator seeds the
 * noise unless the spec sets `seed`.
 */
import { ReglabError } from '../../core/errors.js';
import type { SpecSchema } from '../../core/spec.js';
import type { OptimizerFactory } from '../../train/optimizers.js';
import {
  createLangevinOptimizer,
  langevinSpec,
  OVERDAMPED_SCHEMA,
  UNDERDAMPED_SCHEMA,
} from './spec.js';

function langevinFactory(schema: SpecSchema): OptimizerFactory {
  return {
    schema,
    create(spec, { learningRate, momentum, constraints, rng, model }) {
      if (learningRate !== undefined || momentum !== undefined) {
        throw new ReglabError(
          `${schema.name} takes its step from its spec, not from the run's learning rate or momentum`,
          `drop --lr/--momentum and write e.g. ${schema.name === 'cola-ud' ? 'cola-ud:h=0.3:gamma=1:tau=0 (or cola-ud:lr=0.1:momentum=0.9)' : 'cola-od:h=0.01:tau=0'}`,
        );
      }
      const parsed = langevinSpec(spec);
      parsed.options.seed ??= rng.seed();
      const optimizer = createLangevinOptimizer(parsed, constraints);
      // rules that match no variable, or two rules on one, fail here, before any file is written
      optimizer.checkVariables(model.trainableWeights.map((w) => w.name));
      return optimizer;
    },
  };
}

/** `cola-ud:…` and `cola-od:…`. */
export const optimizerFactories: readonly OptimizerFactory[] = [
  langevinFactory(UNDERDAMPED_SCHEMA),
  langevinFactory(OVERDAMPED_SCHEMA),
];
