/**
 * Image folders in the layout of Keras' `image_dataset_from_directory`: one sub-folder per
 * class holding PNG files, either split (`DIR/train/<class>/`, optional `DIR/test/<class>/`)
 * or flat (`DIR/<class>/`). Classes are the sub-folder names sorted by code point, so the
 * label of a class never depends on the file system's listing order.
 *
 * Without a test folder a seeded `testFraction` of every class is held out (stratified, so a
 * small class is not left out of the test set by chance).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { check, ReglabError } from '../core/errors.js';
import { Random } from '../core/random.js';
import { rawSplitToDataSplit, type LoadOptions, type RawImages } from './raw.js';
import type { DataSplit } from './dataset.js';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions extends LoadOptions {
  /** 1 = grayscale (ITU-R 601 luma), 3 = RGB; default: 1 if the first image is grayscale, else 3. */
  channels?: 1 | 3;
  /** Share of each class held out as test set when there is no `test/` folder (default 0.2). */
  testFraction?: number;
  /** Data set name (default: the folder's base name). */
  name?: string;
}

/** One labelled image file. */
interface ImageFile {
  path: string;
  label: number;
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Sorted names of the sub-folders of `dir`. */
function subfolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && isDir(join(dir, name)))
    .sort();
}

/** The PNG files under `dir/<class>/` for every class in `classes`, labelled by position. */
function listImages(dir: string, classes: readonly string[]): ImageFile[] {
  return classes.flatMap((cls, label) => {
    const classDir = join(dir, cls);
    if (!isDir(classDir)) return [];
    return readdirSync(classDir)
      .filter((name) => name.toLowerCase().endsWith('.png'))
      .sort()
      .map((name) => ({ path: join(classDir, name), label }));
  });
}

/** Decodes one PNG (pngjs always yields 8-bit RGBA) and reports whether it is grayscale. */
function decodePng(path: string): { png: PNG; gray: boolean } {
  try {
    const png = PNG.sync.read(readFileSync(path));
    return { png, gray: (png.colorType & 2) === 0 };
  } catch (error) {
    throw new ReglabError(
      `${path} is not a readable PNG (${(error as Error).message})`,
      'replace or delete the file',
    );
  }
}

/**
 * Decodes `files` into one channels-last set. Alpha is dropped (as Keras does), so drawings
 * on a transparent background keep their colours. Every image must match the first's size.
 */
function decodeImages(
  files: readonly ImageFile[],
  channels: 1 | 3,
  shape: readonly number[],
): RawImages {
  const [height, width] = shape;
  const per = height * width * channels;
  const pixels = new Uint8Array(files.length * per);
  files.forEach((file, i) => {
    const { png } = decodePng(file.path);
    check(
      png.width === width && png.height === height,
      `${file.path} is ${png.width}×${png.height} but the first image is ${width}×${height}`,
      'all images of a folder data set must have the same size: resize them first',
    );
    const out = pixels.subarray(i * per, (i + 1) * per);
    for (let p = 0; p < width * height; p++) {
      const [r, g, b] = [png.data[4 * p], png.data[4 * p + 1], png.data[4 * p + 2]];
      if (channels === 1) out[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else out.set([r, g, b], 3 * p);
    }
  });
  return {
    pixels,
    labels: Int32Array.from(files, (f) => f.label),
    sampleShape: [height, width, channels],
  };
}

/** Splits `files` per class into train and a held-out `fraction` (at least one per class of ≥ 2). */
function holdOut(
  files: readonly ImageFile[],
  fraction: number,
  rng: Random,
): { train: ImageFile[]; test: ImageFile[] } {
  check(
    fraction > 0 && fraction < 1,
    `test fraction ${fraction} is outside (0, 1)`,
    'pass e.g. 0.2, or add a test/ folder',
  );
  const train: ImageFile[] = [];
  const test: ImageFile[] = [];
  const labels = [...new Set(files.map((f) => f.label))];
  for (const label of labels) {
    const members = files.filter((f) => f.label === label);
    const order = rng.permutation(members.length);
    const held = members.length < 2 ? 0 : Math.max(1, Math.round(fraction * members.length));
    order.forEach((j, k) => (k < held ? test : train).push(members[j]));
  }
  check(
    test.length > 0,
    `holding out ${fraction} of ${files.length} images leaves no test images`,
    'add images (classes need ≥ 2 images) or a test/ folder',
  );
  const byPath = (a: ImageFile, b: ImageFile): number => (a.path < b.path ? -1 : 1);
  return { train: train.sort(byPath), test: test.sort(byPath) };
}

/** Lists the files of both splits and the class names, checking the layout. */
function scanFolder(
  root: string,
  testFraction: number,
  rng: Random,
): { train: ImageFile[]; test: ImageFile[]; classes: string[] } {
  check(
    isDir(root),
    `image folder ${root} ${existsSync(root) ? 'is a file, not a folder' : 'does not exist'}`,
    'pass --data-dir pointing at DIR/<class>/*.png or DIR/train/<class>/*.png',
  );
  const split = isDir(join(root, 'train'));
  const trainDir = split ? join(root, 'train') : root;
  const classes = subfolders(trainDir);
  check(
    classes.length > 0,
    `${trainDir} has no class sub-folders`,
    'put the images in one sub-folder per class: DIR/<class>/*.png or DIR/train/<class>/*.png',
  );
  const all = listImages(trainDir, classes);
  check(
    all.length > 0,
    `no .png files in the class folders of ${trainDir} (${classes.join(', ')})`,
    'add PNG images to DIR/<class>/',
  );
  const empty = classes.filter((_, label) => !all.some((file) => file.label === label));
  check(
    empty.length === 0,
    `class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => join(trainDir, c)).join(', ')} ${empty.length > 1 ? 'hold' : 'holds'} no .png images: a class without samples`,
    'add images to it, or remove the folder (every sub-folder is a class)',
  );
  if (split && isDir(join(root, 'test'))) {
    const extra = subfolders(join(root, 'test')).filter((c) => !classes.includes(c));
    check(
      extra.length === 0,
      `${join(root, 'test')} has classes ${extra.join(', ')} that train/ lacks`,
      'the test classes must be a subset of the train classes',
    );
    const test = listImages(join(root, 'test'), classes);
    check(
      test.length > 0,
      `no .png files in ${join(root, 'test')}`,
      'add test images or delete the empty test/ folder',
    );
    return { train: all, test, classes };
  }
  return { ...holdOut(all, testFraction, rng), classes };
}

/**
 * Loads a folder of PNGs as a {@link DataSplit} with sample shape `[H, W, channels]`.
 * PNGs are decoded on every call (no cache: folders are small and may change).
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): DataSplit {
  const root = resolve(dir);
  const rng = options.rng ?? new Random(0);
  const files = scanFolder(root, options.testFraction ?? 0.2, rng.fork('folder/holdout'));
  const first = decodePng(files.train[0].path);
  const channels = options.channels ?? (first.gray ? 1 : 3);
  check(
    channels === 1 || channels === 3,
    `channels ${channels} is not 1 or 3`,
    'pass 1 (grayscale) or 3 (RGB)',
  );
  const shape = [first.png.height, first.png.width];
  const raw = {
    train: decodeImages(files.train, channels, shape),
    test: decodeImages(files.test, channels, shape),
  };
  const name = options.name ?? root.split(/[\\/]/).pop() ?? 'folder';
  return rawSplitToDataSplit(
    raw,
    name,
    { ...options, rng },
    { numClasses: files.classes.length, classNames: files.classes },
  );
}
