/** RBMs trained with CD-k / PCD, generative diversifying regularization, and DBN stacking. */
export * from './divergence.js';
export * from './rbm.js';
export * from './dbn.js';
export * from './spec.js';
