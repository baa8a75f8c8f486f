/**
 * The shared last mile of every file-based loader: decoded 8-bit images (as the files store
 * them) → subset → Float32 {@link Dataset}. Loaders keep the full 8-bit arrays (¼ the memory
 * of Float32) and convert only the samples actually used, so `trainSize: 1000` on MNIST costs
 * 1000 conversions, not 60 000.
 */
import { check } from '../core/errors.js';
import { Random } from '../core/random.js';
import { makeDataset, type DataSplit, type Dataset } from './dataset.js';

/** Decoded images as stored on disk: one byte per value, channels-last. */
export interface RawImages {
  /** `count × prod(sampleShape)` bytes, channels-last. */
  readonly pixels: Uint8Array;
  /** One class index per image. */
  readonly labels: Uint8Array | Int32Array;
  /** `[H, W, C]`. */
  readonly sampleShape: readonly number[];
}

/**
 * How a loader picks `trainSize`/`testSize` samples out of a larger set:
 * - `first`: the first N in file order (the default: reproducible across tools and papers);
 * - `random`: a seeded uniform subset;
 * - `stratified`: a seeded subset with (nearly) equal counts per class.
 */
export type Sampling = 'first' | 'random' | 'stratified';

/** The sampling names, for CLI validation. */
export const SAMPLINGS: readonly Sampling[] = ['first', 'random', 'stratified'];

/**
 * Which images the test split holds:
 * - `test`: the data set's own test images (the default);
 * - `test+rest`: those, followed by every training image the training subset left out — the
 *   Langevin paper's Fashion-MNIST setting (arXiv 2006.10114, experiment a: 10 000 training
 *   images, the 10 000 test images plus the other 50 000 training images as test set). Needs
 *   a `trainSize` below the training set's size.
 */
export type TestSet = 'test' | 'test+rest';

/** The test-set names, for CLI validation. */
export const TEST_SETS: readonly TestSet[] = ['test', 'test+rest'];

/** Options every loader shares. */
export interface LoadOptions {
  /** Number of training samples (default: all). */
  trainSize?: number;
  /** Number of test samples (default: all). */
  testSize?: number;
  /** Keep pixel values in 0–255 instead of scaling to [0, 1] (racecar's MNIST toy uses raw). */
  rawPixels?: boolean;
  /** How subsets are chosen (default `first`). */
  sampling?: Sampling;
  /** Generator for `random`/`stratified` subsets and seeded splits (default `new Random(0)`). */
  rng?: Random;
  /** What the test split holds (default `test`; see {@link TestSet}). */
  testSet?: TestSet;
}

/**
 * Indices of `count` samples out of `labels.length`, ascending (so a subset keeps file order).
 * Stratified sampling deals classes round-robin, so a class with too few samples just gives
 * its share to the others instead of failing.
 */
export function pickIndices(
  labels: ArrayLike<number>,
  count: number,
  sampling: Sampling = 'first',
  rng: Random = new Random(0),
): Int32Array {
  check(
    Number.isInteger(count) && count > 0,
    `subset size ${count} is not a positive integer`,
    'pass a whole number of samples ≥ 1, or leave the size out to use all samples',
  );
  check(
    SAMPLINGS.includes(sampling),
    `unknown sampling "${sampling}"`,
    `use one of ${SAMPLINGS.join(', ')}`,
  );
  const n = labels.length;
  if (count >= n) return Int32Array.from({ length: n }, (_, i) => i);
  if (sampling === 'first') return Int32Array.from({ length: count }, (_, i) => i);
  const order = rng.permutation(n);
  const picked =
    sampling === 'random' ? order.subarray(0, count) : roundRobin(labels, order, count);
  return Int32Array.from(picked).sort();
}

/** Takes the next sample of each class in turn (in `order`) until `count` are taken. */
function roundRobin(labels: ArrayLike<number>, order: Int32Array, count: number): Int32Array {
  const byClass = new Map<number, number[]>();
  for (const i of order) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const queues = [...byClass.keys()].sort((a, b) => a - b).map((k) => byClass.get(k)!);
  const out = new Int32Array(count);
  let taken = 0;
  for (let round = 0; taken < count; round++) {
    for (const queue of queues)
      if (round < queue.length && taken < count) out[taken++] = queue[round];
  }
  return out;
}

/**
 * Converts the samples `indices` of `raw` to Float32, scaled by 1/255 unless `rawPixels`.
 * A typed-array copy plus one multiply pass: no per-element function calls.
 */
export function rawToFloat(
  raw: RawImages,
  indices: ArrayLike<number>,
  rawPixels = false,
): Float32Array {
  const per = raw.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    x.set(raw.pixels.subarray(i * per, (i + 1) * per), k * per);
  }
  if (!rawPixels) for (let j = 0; j < x.length; j++) x[j] *= 1 / 255;
  return x;
}

/** Everything {@link rawToDataset} needs besides the images. */
export interface RawDatasetOptions {
  name: string;
  numClasses: number;
  classNames?: readonly string[];
  /** Number of samples to keep (default: all). */
  size?: number;
  sampling?: Sampling;
  rng?: Random;
  rawPixels?: boolean;
}

/** Subsets and converts `raw` into a validated {@link Dataset}. */
export function rawToDataset(raw: RawImages, options: RawDatasetOptions): Dataset {
  const n = raw.labels.length;
  const indices = pickIndices(raw.labels, options.size ?? n, options.sampling, options.rng);
  return rawSamplesToDataset(raw, indices, options);
}

/** Converts the samples `indices` (ascending) of `raw` into a validated {@link Dataset}. */
function rawSamplesToDataset(
  raw: RawImages,
  indices: Int32Array,
  options: RawDatasetOptions,
): Dataset {
  const n = raw.labels.length;
  return makeDataset({
    name: indices.length < n ? `${options.name}[${indices.length}]` : options.name,
    x: rawToFloat(raw, indices, options.rawPixels),
    labels: Int32Array.from(indices, (i) => raw.labels[i]),
    sampleShape: raw.sampleShape,
    numClasses: options.numClasses,
    ...(options.classNames ? { classNames: options.classNames } : {}),
  });
}

/** Decoded train and test images, as a file loader produces them. */
export interface RawSplit {
  train: RawImages;
  test: RawImages;
}

/** Checks a {@link TestSet} name (and that `test+rest` leaves training images over). */
export function checkTestSet(
  testSet: string,
  trainSize: number | undefined,
  trainCount: number,
): void {
  check(
    TEST_SETS.includes(testSet as TestSet),
    `unknown test set "${testSet}"`,
    `use one of ${TEST_SETS.join(', ')}`,
  );
  check(
    testSet !== 'test+rest' || (trainSize !== undefined && trainSize < trainCount),
    `test set "test+rest" needs a training subset smaller than the ${trainCount} training images (got ${trainSize === undefined ? 'all of them' : `--train-size ${trainSize}`})`,
    `pass a --train-size below ${trainCount} (the paper's Fashion-MNIST setting: 10000); the training images it leaves out join the test set`,
  );
}

/**
 * Checks what training needs of a file data set, before any work: images in both splits, at
 * least two classes (a one-class "classifier" has nothing to learn and TF.js's one-hot refuses
 * it mid-run), and train and test images of one shape (else the first test evaluation fails
 * after a whole epoch).
 */
export function checkRawSplit(
  raw: RawSplit,
  name: string,
  classes: { numClasses: number; classNames?: readonly string[] },
): void {
  const { numClasses, classNames } = classes;
  for (const [split, images] of [
    ['training', raw.train],
    ['test', raw.test],
  ] as const)
    check(
      images.labels.length > 0,
      `${name}: the ${split} set has 0 images`,
      'the data files are empty or were cut short: download them again, or pass another --data-dir',
    );
  check(
    numClasses >= 2,
    `${name} has ${numClasses} class${numClasses === 1 ? '' : 'es'}${classNames ? ` (${classNames.join(', ')})` : ''}, but a classifier needs at least 2`,
    'add images of another class (one sub-folder per class for a folder data set)',
  );
  check(
    raw.train.sampleShape.join() === raw.test.sampleShape.join(),
    `${name}: training images are [${raw.train.sampleShape}] but test images are [${raw.test.sampleShape}]`,
    'train and test images must have the same size and channels: resize them first',
  );
}

/**
 * A size flag larger than the set is an error, not a silent clamp to the set (a run with
 * `--train-size 100000` on 60 000 images would report a size it never trained on).
 */
function checkSize(flag: string, size: number | undefined, available: number, what: string): void {
  check(
    size === undefined || size <= available,
    `${flag} ${size} is more than the ${available} ${what}`,
    `pass at most ${flag} ${available}, or leave ${flag} out to use all of them`,
  );
}

/** All rows of `first`, then the rows `secondRows` of `second`, as one {@link RawImages}. */
function concatRaw(first: RawImages, second: RawImages, secondRows: Int32Array): RawImages {
  const per = first.sampleShape.reduce((x, y) => x * y, 1);
  const count = first.labels.length + secondRows.length;
  const pixels = new Uint8Array(count * per);
  const labels = new Int32Array(count);
  pixels.set(first.pixels.subarray(0, first.labels.length * per));
  labels.set(first.labels);
  secondRows.forEach((row, k) => {
    const at = first.labels.length + k;
    pixels.set(second.pixels.subarray(row * per, (row + 1) * per), at * per);
    labels[at] = second.labels[row];
  });
  return { pixels, labels, sampleShape: first.sampleShape };
}

/**
 * Converts both halves of a raw split, applying `trainSize`/`testSize`, the test set
 * (`testSet: 'test+rest'` appends the training images the subset left out, in file order, to
 * the test images; `testSize` then picks from that combined set) and the shared options.
 */
export function rawSplitToDataSplit(
  raw: RawSplit,
  name: string,
  options: LoadOptions,
  classes: { numClasses: number; classNames?: readonly string[] },
): DataSplit {
  const common = {
    ...classes,
    sampling: options.sampling,
    rng: options.rng,
    rawPixels: options.rawPixels,
  };
  const testSet = options.testSet ?? 'test';
  const trainCount = raw.train.labels.length;
  checkRawSplit(raw, name, classes);
  checkTestSet(testSet, options.trainSize, trainCount);
  checkSize('--train-size', options.trainSize, trainCount, `training images of ${name}`);
  checkSize(
    '--test-size',
    options.testSize,
    testSet === 'test'
      ? raw.test.labels.length
      : raw.test.labels.length + trainCount - (options.trainSize ?? trainCount),
    `${testSet === 'test' ? 'test images' : 'test images and left-out training images'} of ${name}`,
  );
  const trainIndices = pickIndices(
    raw.train.labels,
    options.trainSize ?? trainCount,
    options.sampling,
    options.rng,
  );
  const train = rawSamplesToDataset(raw.train, trainIndices, {
    ...common,
    name: `${name}/train`,
  });
  if (testSet === 'test') {
    return {
      train,
      test: rawToDataset(raw.test, { ...common, name: `${name}/test`, size: options.testSize }),
    };
  }
  const taken = new Uint8Array(trainCount);
  for (const i of trainIndices) taken[i] = 1;
  const rest = Int32Array.from({ length: trainCount }, (_, i) => i).filter((i) => !taken[i]);
  return {
    train,
    test: rawToDataset(concatRaw(raw.test, raw.train, rest), {
      ...common,
      name: `${name}/test+rest`,
      size: options.testSize,
    }),
  };
}

const cache = new Map<string, unknown>();

/**
 * `load()` once per `key` per process: parsing MNIST takes ~0.2 s, and experiments and tests
 * load it many times. Failed loads are not cached, so a fixed file is picked up on retry.
 */
export function cached<T>(key: string, load: () => T): T {
  if (!cache.has(key)) cache.set(key, load());
  return cache.get(key) as T;
}

/** Forgets every cached file (frees the memory; the next load re-reads the files). */
export function clearDataCache(): void {
  cache.clear();
}
