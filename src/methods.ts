/**
 * Registers every method's regularization terms, monitors and optimizers with the CLI's
 * registries. Importing this module (the CLI and `src/index.ts` do) makes `--reg NAME:…`,
 * `--track NAME` and `--optimizer NAME:…` know every method reglab ships.
 */
import { monitorRegistry, termRegistry, type MonitorFactory, type TermFactory } from './train/term-spec.js';

function registerAll<F extends { usage: string }>(registry: { register(name: string, factory: F): void }, factories: Record<string, F>): void {
  for (const [name, factory] of Object.entries(factories)) registry.register(name, factory);
}

const termFactories: Record<string, TermFactory>[] = [];
const monitorFactories: Record<string, MonitorFactory>[] = [];

for (const factories of termFactories) registerAll(termRegistry, factories);
for (const factories of monitorFactories) registerAll(monitorRegistry, factories);
