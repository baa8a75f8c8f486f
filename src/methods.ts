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
import * as racecar from './methods/racecar/index.js';
import * as per from './methods/per/index.js';
import * as diversify from './methods/diversify/index.js';
import * as miMonitor from './monitors/mutual-information.js';
import { createLangevinOptimizer, parseOptimizerSpec } from './methods/langevin/index.js';
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

/** A Langevin optimizer from its spec; the run's generator seeds it unless the spec sets `seed`. */
function langevinFactory(usage: string): OptimizerFactory {
  return {
    usage,
    create({ spec, constraints, rng }) {
      const parsed = parseOptimizerSpec(spec);
      parsed.options.seed ??= rng.seed();
      return createLangevinOptimizer(parsed, constraints);
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
