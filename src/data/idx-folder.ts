/**
 * Loader for a folder of the four standard IDX files — the layout MNIST, Fashion-MNIST and
 * KMNIST are all distributed in, so one loader serves the three.
 */
import { resolve } from 'node:path';
import { ReglabError } from '../core/errors.js';
import type { DataSplit } from './dataset.js';
import { findFile, readIdxImages } from './idx.js';
import { cached, rawSplitToDataSplit, type LoadOptions, type RawSplit } from './raw.js';

/** The four files a folder must hold (each may also be `NAME.gz`). */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The names of the four IDX files `dir` lacks (all four when `dir` is not a folder). */
export function missingIdxFiles(dir: string): string[] {
  return Object.values(IDX_FILES).filter((base) => !findFile(dir, base));
}

/**
 * The first folder of `dirs` that holds the four IDX files (each plain or `.gz`). A folder
 * with none of them is passed over; one with only some is an error naming the missing files
 * (a broken copy is not silently replaced by another one); when no folder has them, the error
 * lists every folder searched.
 */
export function findIdxFolder(dirs: readonly string[], name: string, downloadHint = ''): string {
  const expected = Object.values(IDX_FILES).join(', ');
  for (const dir of dirs) {
    const missing = missingIdxFiles(dir);
    if (missing.length === 0) return dir;
    if (missing.length < Object.keys(IDX_FILES).length) {
      throw new ReglabError(
        `${name}: ${resolve(dir)} holds only part of the data set (missing ${missing.join(', ')}, each optionally .gz)`,
        `complete or delete that folder, or pass --data-dir with a folder holding ${expected}`,
      );
    }
  }
  throw new ReglabError(
    `${name}: the IDX files were not found; looked in ${dirs.map((dir) => resolve(dir)).join(', ')}`,
    `a folder must hold ${expected} (each optionally .gz)${downloadHint ? `; ${downloadHint}` : ''}`,
  );
}

/** Options of {@link loadIdxFolder}. */
export interface IdxFolderOptions extends LoadOptions {
  /** Data set name, used in `Dataset.name` and errors (e.g. `fashion-mnist`). */
  name: string;
  /** Class names (Fashion-MNIST's "T-shirt/top", …), attached to both splits. */
  classNames?: readonly string[];
  /** Number of classes (default 10; every label must be below it). */
  numClasses?: number;
  /** Extra text for the missing-file error, e.g. where to download the set. */
  downloadHint?: string;
}

/** The train and test images of an IDX folder, parsed once per process. */
export function readIdxFolder(dir: string, name = 'IDX data', downloadHint = ''): RawSplit {
  const path = resolve(dir);
  return cached(`idx:${path}`, () => {
    const file = (base: string): string => {
      const found = findFile(path, base);
      if (found) return found;
      const expected = Object.values(IDX_FILES).join(', ');
      throw new ReglabError(
        `${name}: ${base} (or ${base}.gz) is missing in ${path}`,
        `that folder must hold ${expected} (each optionally .gz)${downloadHint ? `; ${downloadHint}` : ''}`,
      );
    };
    return {
      train: readIdxImages(file(IDX_FILES.trainImages), file(IDX_FILES.trainLabels)),
      test: readIdxImages(file(IDX_FILES.testImages), file(IDX_FILES.testLabels)),
    };
  });
}

/** Loads an IDX folder as a {@link DataSplit} with sample shape `[rows, cols, 1]`. */
export function loadIdxFolder(dir: string, options: IdxFolderOptions): DataSplit {
  const raw = readIdxFolder(dir, options.name, options.downloadHint);
  return rawSplitToDataSplit(raw, options.name, options, {
    numClasses: options.numClasses ?? 10,
    ...(options.classNames ? { classNames: options.classNames } : {}),
  });
}
