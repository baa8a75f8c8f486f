/**
 * Optimizers by name, for the CLI and experiment configs: the TF.js built-ins, plus whatever
 * other modules register (reglab's constrained Langevin optimizers register themselves).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import type { Random } from '../core/random.js';

/** Everything an optimizer factory may use. */
export interface OptimizerRequest {
  /** The spec as written, e.g. `adam`, `momentum`, `cola-ud:h=0.3,gamma=1,tau=0`. */
  spec: string;
  /** Learning rate (`--lr`), for optimizers that take one. */
  learningRate: number;
  /** Momentum (`--momentum`), for optimizers that take one. */
  momentum: number;
  /** Per-variable constraint specs (`--constraint circle:0.05@dense_1`). */
  constraints: string[];
  /** The model, so constraint rules can be resolved against its variables. */
  model: tfl.LayersModel;
  rng: Random;
}

/** Builds an optimizer from a request. */
export interface OptimizerFactory {
  readonly usage: string;
  create(request: OptimizerRequest): tf.Optimizer;
}

const factories = new Map<string, OptimizerFactory>();

/** Registers an optimizer under the first `:`-part of its spec. */
export function registerOptimizer(name: string, factory: OptimizerFactory): void {
  factories.set(name, factory);
}

function builtIn(
  usage: string,
  make: (request: OptimizerRequest) => tf.Optimizer,
): OptimizerFactory {
  return {
    usage,
    create(request) {
      if (request.constraints.length > 0) {
        throw new ReglabError(
          `optimizer ${request.spec} cannot keep weights on constraints (${request.constraints.join(', ')})`,
          'TF.js optimizers ignore constraints; use cola-od or cola-ud',
        );
      }
      return make(request);
    },
  };
}

registerOptimizer(
  'sgd',
  builtIn('sgd            plain SGD (--lr)', (r) => tf.train.sgd(r.learningRate)),
);
registerOptimizer(
  'momentum',
  builtIn('momentum       SGD with momentum (--lr, --momentum)', (r) =>
    tf.train.momentum(r.learningRate, r.momentum),
  ),
);
registerOptimizer(
  'adam',
  builtIn('adam           Adam (--lr)', (r) => tf.train.adam(r.learningRate)),
);
registerOptimizer(
  'rmsprop',
  builtIn('rmsprop        RMSProp (--lr)', (r) => tf.train.rmsprop(r.learningRate)),
);

/** Creates the optimizer a request names. */
export function createOptimizer(request: OptimizerRequest): tf.Optimizer {
  const name = request.spec.split(':')[0];
  const factory = factories.get(name);
  if (!factory) {
    throw new ReglabError(
      `unknown optimizer "${request.spec}"`,
      `use one of ${[...factories.keys()].join(', ')}`,
    );
  }
  return factory.create(request);
}

/** `--help` lines for every optimizer. */
export function optimizerUsage(): string[] {
  return [...factories.values()].map((factory) => factory.usage);
}
