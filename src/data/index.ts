/** The data layer: loaders, the generated peak set, transforms and batching. */
export * from './dataset.js';
export * from './raw.js';
export * from './idx.js';
export * from './idx-folder.js';
export * from './mnist.js';
export * from './cifar.js';
export * from './peak.js';
export * from './folder.js';
export * from './transforms.js';
export * from './registry.js';
