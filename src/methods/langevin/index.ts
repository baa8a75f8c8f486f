/**
 * Constraint-based Langevin optimizers (Leimkuhler, Pouchon, Vlaar, Storkey, arXiv 2006.10114;
 * "Better training using weight-constrained stochastic dynamics", ICML 2021). See
 * docs/langevin.md.
 */
export type { Constraint, ConstraintKind, StepParams } from './constraint.js';
export { ShakeConstraint, sphereMultiplier } from './constraint.js';
export { NoConstraint, none } from './none.js';
export { CircleConstraint, circle, cosSin, RENORMALISE_EVERY } from './circle.js';
export { SphereConstraint, sphere } from './sphere.js';
export { OrthogonalConstraint, orthogonal, tallView, fromTallView } from './orthogonal.js';
export {
  type ConstraintRule,
  checkRules,
  parseConstraint,
  parseConstraintSpec,
  resolveConstraint,
  ruleFor,
  ruleMatches,
  ruleToSpec,
} from './rules.js';
export { LangevinOptimizer, type LangevinCommonOptions, type Slot } from './base.js';
export {
  UnderdampedLangevin,
  underdampedLangevin,
  type UnderdampedOptions,
  momentumToLangevin,
  langevinToMomentum,
} from './underdamped.js';
export { OverdampedLangevin, overdampedLangevin, type OverdampedOptions } from './overdamped.js';
export { type LangevinSpec, parseOptimizerSpec, createLangevinOptimizer } from './spec.js';
