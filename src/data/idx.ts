/**
 * Reading IDX files (MNIST and its drop-in relatives) from disk; the format itself is parsed
 * in `idx-format.ts` ({@link parseIdx}, re-exported here). Files may be gzip'd (as the sets
 * are distributed); gzip is detected by its magic bytes, so a `.gz` file renamed without the
 * suffix still reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ReglabError } from '../core/errors.js';
import type { RawImages } from './raw.js';
import { idxImages, parseIdx, type IdxArray } from './idx-format.js';

export { idxImages, parseIdx, type IdxArray };

/** Reads a file, gunzipping it when it starts with the gzip magic bytes 1f 8b. */
export function readMaybeGzip(file: string): Buffer {
  const bytes = readFileSync(file);
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new ReglabError(
      `${file} looks gzip'd but does not decompress (${(error as Error).message})`,
      'the download is probably incomplete: download the file again',
    );
  }
}

/** Reads and parses one IDX file (gzip'd or not). */
export function readIdx(file: string): IdxArray {
  return parseIdx(readMaybeGzip(file), file);
}

/**
 * Reads an images file (`[n, rows, cols]`) and its labels file (`[n]`) into {@link RawImages}
 * with sample shape `[rows, cols, 1]`.
 */
export function readIdxImages(imagesFile: string, labelsFile: string): RawImages {
  return idxImages(readIdx(imagesFile), readIdx(labelsFile), imagesFile, labelsFile);
}

/**
 * The path of `base` or `base.gz` in `dir`, whichever exists (the plain file wins), or
 * `undefined` when neither does.
 */
export function findFile(dir: string, base: string): string | undefined {
  return [base, `${base}.gz`].map((name) => join(dir, name)).find((path) => existsSync(path));
}
