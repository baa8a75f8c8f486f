/**
 * PER — projected error function regularization (Joo, Kang & Kim, ICLR 2020) — with its
 * baselines (L1/L2 activation penalties, VCL, DeCov) and their spec factories. The activation
 * statistics monitor lives in monitors/, the site selection in train/sites.ts.
 */
export { ActivationTerm, type ActivationTermOptions } from './activation-term.js';
export { PerTerm, per, type PerOptions } from './per-term.js';
export {
  projectedError,
  projectedErrorFunction,
  projectedErrorLoss,
  projectedErrorScalar,
} from './projected-error.js';
export {
  ActivationNormPenalty,
  DecovTerm,
  VclTerm,
  decov,
  decovPenalty,
  l1Activation,
  l2Activation,
  vcl,
  type VclOptions,
} from './activation-penalties.js';
export {
  decovFactory,
  l1ActivationFactory,
  l2ActivationFactory,
  perFactory,
  termFactories,
  vclFactory,
} from './factories.js';
