/**
 * Registers every method's regularization terms, monitors and optimizers with the CLI's
 * registries. Importing this module (the CLI and `src/index.ts` do) makes `--reg NAME:…`,
 * `--track NAME` and `--optimizer NAME:…` know every method reglab ships.
 */
import {
  monitorRegistry,
  termRegistry,
  type MonitorFactory,
  type TermFactory,
} from './train/term-spec.js';
import * as racecar from './racecar/index.js';
import * as per from './per/index.js';
import * as diversify from './diversify/index.js';
import * as miMonitor from './analysis/mi-monitor.js';
import { createLangevinOptimizer, parseOptimizerSpec } from './langevin/index.js';
import { registerOptimizer, type OptimizerFactory } from './train/optimizers.js';

function registerAll<F extends { usage: string }>(
  registry: { register(name: string, factory: F): void },
  factories: Record<string, F>,
): void {
  for (const [name, factory] of Object.entries(factories)) registry.register(name, factory);
}

const termFactories: Record<string, TermFactory>[] = [
  racecar.termFactories,
  per.termFactories,
  diversify.termFactories,
];
const monitorFactories: Record<string, MonitorFactory>[] = [
  per.monitorFactories,
  miMonitor.monitorFactories,
];

for (const factories of termFactories) registerAll(termRegistry, factories);
for (const factories of monitorFactories) registerAll(monitorRegistry, factories);

/**
 * A Langevin optimizer from its spec; the run's generator seeds it unless the spec sets `seed`.
 * The constraint rules are checked against the model's variables here, before any work is done.
 */
function langevinFactory(usage: string): OptimizerFactory {
  return {
    usage,
    create({ spec, constraints, rng, model }) {
      const parsed = parseOptimizerSpec(spec);
      parsed.options.seed ??= rng.seed();
      const optimizer = createLangevinOptimizer(parsed, constraints);
      optimizer.checkVariables(model.trainableWeights.map((w) => w.name));
      return optimizer;
    },
  };
}

registerOptimizer(
  'cola-ud',
  langevinFactory(
    'cola-ud:h=…,gamma=…,tau=…  underdamped constrained Langevin (BAOAB + RATTLE); or lr=…,momentum=…',
  ),
);
registerOptimizer(
  'cola-od',
  langevinFactory('cola-od:h=…,tau=…  overdamped constrained Langevin (SGLD + projection)'),
);
