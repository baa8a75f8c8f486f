/**
 * CIFAR-10 in its binary distribution (`cifar-10-binary.tar.gz`, extracted): five training
 * batches and one test batch, each a run of 3073-byte records — one label byte, then the
 * 32×32 image as three 1024-byte planes (R, G, B). Planes are transposed to channels-last
 * `[32, 32, 3]`, the layout every reglab model uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { check } from '../core/errors.js';
import type { DataSplit } from './dataset.js';
import { cached, rawSplitToDataSplit, type LoadOptions, type RawImages } from './raw.js';

/** The standard class names, used when `batches.meta.txt` is absent. */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** Training batch files, in order. */
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
/** The test batch file. */
export const CIFAR10_TEST_FILE = 'test_batch.bin';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;

/** Decodes the records of several batch files into one channels-last set. */
export function readCifarBatches(files: readonly string[], numClasses = 10): RawImages {
  const buffers = files.map((file) => {
    const bytes = readFileSync(file);
    check(
      bytes.length > 0 && bytes.length % RECORD === 0,
      `${file} has ${bytes.length} bytes, not a multiple of the ${RECORD}-byte CIFAR-10 record`,
      'the file is truncated or not the CIFAR-10 *binary* version: download cifar-10-binary.tar.gz again',
    );
    return bytes;
  });
  const count = buffers.reduce((sum, b) => sum + b.length / RECORD, 0);
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  let n = 0;
  buffers.forEach((bytes, f) => {
    for (let r = 0; r < bytes.length / RECORD; r++, n++) {
      const record = bytes.subarray(r * RECORD, (r + 1) * RECORD);
      check(
        record[0] < numClasses,
        `${files[f]} record ${r} has label ${record[0]} ≥ ${numClasses}`,
        'the file is corrupt or not CIFAR-10 (CIFAR-100 binaries have 2 label bytes): download CIFAR-10 again',
      );
      labels[n] = record[0];
      planesToHwc(record.subarray(1), pixels.subarray(n * 3 * PLANE, (n + 1) * 3 * PLANE));
    }
  });
  return { pixels, labels, sampleShape: [SIDE, SIDE, 3] };
}

/** Interleaves three 1024-byte planes into RGB pixels. */
function planesToHwc(planes: Uint8Array, out: Uint8Array): void {
  for (let c = 0; c < 3; c++) {
    const plane = planes.subarray(c * PLANE, (c + 1) * PLANE);
    for (let p = 0; p < PLANE; p++) out[3 * p + c] = plane[p];
  }
}

/**
 * The folder that holds the batches: `dir` itself, or `dir/cifar-10-batches-bin` (where the
 * tarball extracts to), so both "the extraction folder" and "the batches folder" work.
 */
function batchDir(dir: string): string {
  const nested = join(dir, 'cifar-10-batches-bin');
  return existsSync(join(dir, CIFAR10_TEST_FILE)) || !existsSync(nested) ? dir : nested;
}

/** Class names from `batches.meta.txt` (one per line), else {@link CIFAR10_CLASSES}. */
function classNames(dir: string): readonly string[] {
  const meta = join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return CIFAR10_CLASSES;
  const names = readFileSync(meta, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  check(
    names.length === 10,
    `${meta} lists ${names.length} class names, not 10`,
    'fix or delete the file (the standard names are used without it)',
  );
  return names;
}

/**
 * CIFAR-10 as `[32, 32, 3]` images in [0, 1] (0–255 with `rawPixels`): 50 000 train and
 * 10 000 test, or subsets as in every loader. Parsed batches are cached per process.
 */
export function loadCifar10(dir: string, options: LoadOptions = {}): DataSplit {
  const path = batchDir(resolve(dir));
  const raw = cached(`cifar10:${path}`, () => {
    const all = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
    const missing = all.filter((name) => !existsSync(join(path, name)));
    check(
      missing.length === 0,
      `cifar10: ${missing.join(', ')} missing in ${path}`,
      `that folder must hold ${all.join(', ')} (extract cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html)`,
    );
    return {
      train: readCifarBatches(CIFAR10_TRAIN_FILES.map((f) => join(path, f))),
      test: readCifarBatches([join(path, CIFAR10_TEST_FILE)]),
      classNames: classNames(path),
    };
  });
  return rawSplitToDataSplit(raw, 'cifar10', options, {
    numClasses: 10,
    classNames: raw.classNames,
  });
}
