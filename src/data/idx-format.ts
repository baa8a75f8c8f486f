/**
 * The IDX format of MNIST and its drop-in relatives (Fashion-MNIST, KMNIST), parsed from bytes
 * in memory: no file access, so the browser lab reads its MNIST slice with the same code.
 *
 * Layout: two zero bytes, a type byte (0x08 = unsigned byte, the only type these sets use),
 * a byte with the number of dimensions, then each dimension as a big-endian uint32, then the
 * values. Reading files (and gunzipping them) is `idx.ts`.
 */
import { check } from '../core/errors.js';
import type { RawImages } from './raw.js';

/** One parsed IDX file: its dimensions and the values as bytes (a view into the file). */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parses IDX bytes (already gunzipped); `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file = 'IDX data'): IdxArray {
  check(
    bytes.length >= 4,
    `${file} is only ${bytes.length} bytes, shorter than an IDX header`,
    'the file is truncated or not IDX: download it again',
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0).toString(16).padStart(8, '0');
  check(
    bytes[0] === 0 && bytes[1] === 0 && bytes[2] === UNSIGNED_BYTE && bytes[3] >= 1,
    `${file} has magic 0x${magic}, not an unsigned-byte IDX file (0x000008NN)`,
    'pass an MNIST-style images (0x00000803) or labels (0x00000801) file',
  );
  const rank = bytes[3];
  const dataStart = 4 + 4 * rank;
  check(
    bytes.length >= dataStart,
    `${file} ends inside its header (${bytes.length} bytes)`,
    'the file is truncated: download it again',
  );
  const dims = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - dataStart;
  check(
    actual === expected,
    `${file} has ${actual} data bytes but its header [${dims}] needs ${expected}`,
    actual < expected
      ? 'the file is truncated: download it again'
      : 'the file has trailing bytes: it is not a clean IDX file, download it again',
  );
  return { dims, data: bytes.subarray(dataStart) };
}

/**
 * An images array (`[n, rows, cols]`) and its labels (`[n]`) as {@link RawImages} with sample
 * shape `[rows, cols, 1]`; `imagesName`/`labelsName` only name the sources in errors.
 */
export function idxImages(
  images: IdxArray,
  labels: IdxArray,
  imagesName = 'the images',
  labelsName = 'the labels',
): RawImages {
  check(
    images.dims.length === 3,
    `${imagesName} has ${images.dims.length} dimensions, not 3 (count, rows, cols)`,
    'pass an images file (…-images-idx3-ubyte)',
  );
  check(
    labels.dims.length === 1,
    `${labelsName} has ${labels.dims.length} dimensions, not 1 (count)`,
    'pass a labels file (…-labels-idx1-ubyte)',
  );
  check(
    images.dims[0] === labels.dims[0],
    `${imagesName} has ${images.dims[0]} images but ${labelsName} has ${labels.dims[0]} labels`,
    'the images and labels files must come from the same split of the same data set',
  );
  return {
    pixels: images.data,
    labels: labels.data,
    sampleShape: [images.dims[1], images.dims[2], 1],
  };
}
