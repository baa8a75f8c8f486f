/**
 * reglab: data-driven and constraint-based regularization for TensorFlow.js.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { selectBackend, loadDataset, buildModel, Trainer, Random, racecar } from 'reglab';
 *
 * await selectBackend('auto');
 * const rng = new Random(1);
 * const { train, test } = loadDataset({ dataset: 'mnist', trainSize: 1000 });
 * const model = buildModel('mlp:256,256', { inputShape: train.sampleShape, numClasses: 10, rng });
 * const trainer = new Trainer({ model, optimizer: tf.train.adam(1e-3), rng,
 *   terms: [racecar.racecar({ lambda: 1e-5 })] });
 * await trainer.fit(train, { epochs: 5, batchSize: 128, validation: test });
 * ```
 *
 * The foundation is exported flat; each method is a namespace (`racecar`, `per`, `diversify`,
 * `rbm`, `langevin`) so their names never collide. Importing this module also registers every
 * method with the CLI spec registries (`createTerm('racecar:1e-5', …)`).
 */

export * from './core/errors.js';
export * from './core/random.js';
export * from './backend/index.js';
export * from './data/index.js';
export * from './models/zoo.js';
export * from './train/term.js';
export * from './train/trace.js';
export * from './train/losses.js';
export * from './train/trainer.js';
export * from './train/checkpoint.js';
export * from './core/fs.js';
export * from './train/optimizers.js';
export * from './core/spec.js';
export * from './registry.js';
export * from './lab/run.js';
export * from './lab/matrix.js';
export * from './lab/results.js';
export { compare, type CompareOptions, type CompareOutcome } from './lab/compare.js';

export * as racecar from './methods/racecar/index.js';
export * as per from './methods/per/index.js';
export * as diversify from './methods/diversify/index.js';
export * as rbm from './methods/diversify/generative/index.js';
export * as langevin from './methods/langevin/index.js';
export * as stats from './analysis/stats.js';
export * as svd from './analysis/svd.js';
export * as images from './analysis/images.js';
export * as mutualInformation from './analysis/mutual-information/index.js';
