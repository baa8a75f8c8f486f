/** RBMs trained with CD-k / PCD, generative diversifying regularization, and DBN stacking. */
export * from './divergence.js';
export * from './rbm.js';
export {
  posteriorMeans,
  trainDbn,
  trainDbnResumably,
  saveDbnCheckpoint,
  loadDbnCheckpoint,
  unrollDbn,
  saveUnrolled,
  loadUnrolled,
  type TrainDbnOptions,
  type DbnResult,
  type DbnCheckpoint,
  type UnrollOptions,
} from './dbn.js';
export * from './spec.js';
